"""Paper opinion forms (意见表) imported from Excel in admin, through django-import-export.

django-import-export provides the upload, the dry-run preview with row errors
and the confirm step; this module adds what the campaign needs on top:
- hostile files are refused before any spreadsheet parser sees them
  (xlsx_inspect: size, zip structure, zip-bomb ratios, DTD/entity declarations)
  and openpyxl itself parses through defusedxml;
- the sheet is read with formulas as written (data_only=False), so a cell
  beginning with = + - @ is stored as the text typed, never evaluated;
- every row goes through suggestions.intake.services.suggestion_submit (same rules as
  the web form), with channel "paper" and the importing staff member recorded;
- the whole file is one transaction, rolled back if any row is invalid;
- the dry-run preview (import-export's own diff table) shows every row as it will
  be stored, with the name and phone masked and the idea shortened.
"""

import io
import zipfile
from copy import copy
from datetime import datetime
from types import SimpleNamespace

import openpyxl
import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.formats.base_formats import XLSX
from import_export.results import Result

from suggestions.intake.services import CampaignClosed, suggestion_submit
from suggestions.intake.validation import (
    content_clean,
    name_clean,
    phone_normalise,
    text_clean,
    title_clean,
)
from suggestions.models import Campaign, Channel, IdentityType, PaperSuggestion, Topic
from suggestions.privacy.services import mask_name, mask_phone
from units.models import Unit, UnitKind

# Column header (Chinese, as printed on the template) -> service argument.
COLUMNS = [
    ("标题", "title"),
    ("建议内容", "content"),
    ("主题", "topic"),
    ("建议单位", "unit"),
    ("身份", "identity_type"),
    ("姓名", "name"),
    ("手机号码", "phone"),
    ("同意公开展示", "publish_consent"),
]
HEADERS = [header for header, _field in COLUMNS]
SAMPLE_ROW = [
    "在泽州县建设农产品冷链物流中心",
    "建议依托泽州县现有物流园区建设农产品冷链物流中心，解决蔬菜水果外运损耗大的问题，带动农民增收。",
    "农业农村",
    "泽州县",
    "群众",
    "张三",
    "13812345678",
    "否",
]

# Zip-bomb limits: a real 10,000-row sheet unpacks to a few tens of megabytes.
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
MAX_COMPRESSION_RATIO = 200
MAX_MEMBERS = 200
_XML_SCAN_CHUNK = 64 * 1024
_FORBIDDEN_XML = (b"<!DOCTYPE", b"<!ENTITY")


def _refuse(message: str):
    raise ValidationError(message, code="hostile_file")


def xlsx_inspect(data: bytes) -> None:
    """Refuse, quickly and with bounded memory, anything that is not a plain .xlsx."""
    if len(data) > settings.INTAKE_IMPORT_MAX_BYTES:
        _refuse(
            _("文件超过 %(mb)d MB，请拆分后再导入。")
            % {"mb": settings.INTAKE_IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        _refuse(_("文件不是 Excel（.xlsx）格式，请使用下载的模板。"))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        _refuse(_("文件不是 Excel（.xlsx）格式，请使用下载的模板。"))
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        _refuse(_("文件不是 Excel（.xlsx）格式，请使用下载的模板。"))
    if len(members) > MAX_MEMBERS:
        _refuse(_("文件结构异常，已拒绝导入。"))
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if total > MAX_UNCOMPRESSED_BYTES or (
            member.file_size > 1024 * 1024 and ratio > MAX_COMPRESSION_RATIO
        ):
            _refuse(_("文件解压后体积异常（疑似压缩炸弹），已拒绝导入。"))
    # No DTDs in a real workbook: refuse entity tricks (billion laughs, XXE)
    # before any XML parser runs. Streamed, with the declared sizes enforced.
    for member in members:
        if not member.filename.endswith((".xml", ".rels")):
            continue
        with archive.open(member) as stream:
            read = 0
            tail = b""
            while chunk := stream.read(_XML_SCAN_CHUNK):
                read += len(chunk)
                if read > member.file_size:  # lying header
                    _refuse(_("文件解压后体积异常（疑似压缩炸弹），已拒绝导入。"))
                window = tail + chunk
                if any(marker in window for marker in _FORBIDDEN_XML):
                    _refuse(_("文件含有不允许的 XML 声明，已拒绝导入。"))
                tail = chunk[-16:]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed as numbers
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return str(value)


def xlsx_dataset(data: bytes) -> tablib.Dataset:
    """Read the first sheet as text, formulas as typed, refusing more than the row cap."""
    xlsx_inspect(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:
        _refuse(_("无法读取该 Excel 文件，请使用下载的模板。"))
    try:
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [text_clean(_cell_text(v)) for v in next(rows, ())]
        dataset = tablib.Dataset(headers=header)
        cap = settings.INTAKE_IMPORT_MAX_ROWS
        for row in rows:
            values = [_cell_text(v) for v in row][: len(header)]
            if not any(v.strip() for v in values):
                continue  # blank lines at the end of a sheet
            if len(dataset) >= cap:
                _refuse(_("文件超过 %(max)d 行，请拆分后再导入。") % {"max": cap})
            values += [""] * (len(header) - len(values))
            dataset.append(values)
    finally:
        book.close()
    missing = [h for h in HEADERS if h not in header]
    if missing:
        _refuse(_("缺少列：%(cols)s。请使用下载的模板。") % {"cols": "、".join(missing)})
    return dataset


def template_xlsx() -> bytes:
    """The template staff download: Chinese headers, one sample row, text-formatted cells."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "意见表"
    sheet.append(HEADERS)
    sheet.append(SAMPLE_ROW)
    for column, width in zip("ABCDEFGH", (30, 60, 14, 20, 12, 10, 16, 14), strict=True):
        sheet.column_dimensions[column].width = width
        for cell in sheet[column]:
            cell.number_format = "@"  # text: phone numbers keep their digits
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class PaperXLSX(XLSX):
    """import-export's XLSX format, reading through xlsx_dataset (formulas as text, caps)."""

    def get_title(self):
        return "xlsx"

    def create_dataset(self, in_stream):
        return xlsx_dataset(in_stream)


PREVIEW_CONTENT_CHARS = 40


def content_shorten(text: str) -> str:
    """The preview's glimpse of an idea: whitespace folded, the first 40 characters + …"""
    text = " ".join(str(text or "").split())
    if len(text) <= PREVIEW_CONTENT_CHARS:
        return text
    return text[:PREVIEW_CONTENT_CHARS] + "…"


class _ShownAs(widgets.Widget):
    """Renders a value for the preview through `show` (masking, shortening)."""

    def __init__(self, show):
        super().__init__()
        self.show = show

    def render(self, value, obj=None, **kwargs):
        return self.show(super().render(value))


def _identity_label(value: str) -> str:
    # Not get_identity_type_display(): it hashes every lazy label, per call, per row.
    return str(IdentityType(value).label) if value in IdentityType.values else value


class _YesNo(widgets.Widget):
    def render(self, value, obj=None, **kwargs):
        return _("是") if value else _("否")


# Columns whose full value never goes on the preview page (it is not an audited reveal,
# see suggestions/privacy/services.py), for valid rows (the fields below) and invalid ones alike.
PREVIEW_SHOWN_AS = {
    "建议内容": _ShownAs(content_shorten),
    "姓名": _ShownAs(mask_name),
    "手机号码": _ShownAs(mask_phone),
}


class PaperPreviewDiff(resources.Diff):
    """Each preview cell as escaped text. Every row is new (nothing to compare with), and
    diff-match-patch's markup carries inline styles that the admin's CSP (style-src 'self')
    refuses."""

    def as_html(self):
        return [escape(value) for value in self.right]


class PaperImportResult(Result):
    """import-export lists an invalid row's cells as typed, under the preview's headers:
    show them as the preview shows valid rows, never the full name, phone or idea."""

    def append_invalid_row(self, number, row, validation_error):
        shown = {
            header: PREVIEW_SHOWN_AS[header].render(value) if header in PREVIEW_SHOWN_AS else value
            for header, value in row.items()
        }
        super().append_invalid_row(number, shown, validation_error)


class PaperSuggestionResource(resources.ModelResource):
    """One row of the template -> one idea through suggestion_submit."""

    # The dry-run preview is import-export's diff table of these fields (skip_diff = False),
    # read from the instance import_instance fills with the cleaned row, under the template's
    # headers. Display only: import_instance does the cleaning, suggestion_submit the storing.
    title = fields.Field(attribute="title", column_name="标题", readonly=True)
    content = fields.Field(
        attribute="content",
        column_name="建议内容",
        widget=PREVIEW_SHOWN_AS["建议内容"],
        readonly=True,
    )
    topic = fields.Field(attribute="topic__name", column_name="主题", readonly=True)
    unit = fields.Field(attribute="unit__name", column_name="建议单位", readonly=True)
    identity_type = fields.Field(
        attribute="identity_type",
        column_name="身份",
        widget=_ShownAs(_identity_label),
        readonly=True,
    )
    name = fields.Field(
        attribute="name", column_name="姓名", widget=PREVIEW_SHOWN_AS["姓名"], readonly=True
    )
    phone = fields.Field(
        attribute="phone",
        column_name="手机号码",
        widget=PREVIEW_SHOWN_AS["手机号码"],
        readonly=True,
    )
    publish_consent = fields.Field(
        attribute="publish_consent", column_name="同意公开展示", widget=_YesNo(), readonly=True
    )

    class Meta:
        model = PaperSuggestion
        fields = tuple(field for _header, field in COLUMNS)  # the template's order
        import_id_fields = ()
        force_init_instance = True
        clean_model_instances = False
        skip_diff = False  # the diff is the preview (dry run only, see import_data)
        use_transactions = True

    @classmethod
    def get_result_class(cls):
        return PaperImportResult

    def get_diff_class(self):
        return PaperPreviewDiff

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._user = None
        self._campaign = None
        self._topics = {t.name: t for t in Topic.objects.filter(is_active=True)}
        self._units = {
            u.name: u for u in Unit.objects.active().exclude(kind=UnitKind.CITY).only("id", "name")
        }
        self._identities = {str(label): value for value, label in IdentityType.choices}
        self._identities.update({value: value for value in IdentityType.values})

    def import_data(self, dataset, **kwargs):
        # Nothing is stored unless every row is valid: roll back on any row error.
        kwargs["rollback_on_validation_errors"] = True
        kwargs["use_transactions"] = True
        # The diff is the preview. The confirm step answers with a redirect, so it skips the
        # diff (about 0.2 ms a row, 2 s per 10,000 rows) and holds the campaign row no
        # longer than before. On a copy: the class's options are shared by every instance,
        # and import-export itself writes to them (store_instance).
        self._meta = copy(self._meta)
        self._meta.skip_diff = not kwargs.get("dry_run", False)
        return super().import_data(dataset, **kwargs)

    def before_import(self, dataset, **kwargs):
        self._user = kwargs.get("user")
        self._campaign = Campaign.objects.current()  # uncached: an import is rare

    def get_user_visible_fields(self):
        # What the import page lists as the expected columns: the template's headers.
        return [SimpleNamespace(column_name=header) for header in HEADERS]

    def import_instance(self, instance, row, **kwargs):
        values = {field: row.get(header) or "" for header, field in COLUMNS}
        errors: dict[str, list[str]] = {}
        cleaned = {}
        for header, field, cleaner in (
            ("标题", "title", title_clean),
            ("建议内容", "content", content_clean),
            ("姓名", "name", name_clean),
            ("手机号码", "phone", phone_normalise),
        ):
            try:
                cleaned[field] = cleaner(values[field])
            except ValidationError as exc:
                errors[header] = exc.messages
        if "phone" in cleaned and not cleaned["phone"] and settings.INTAKE_PHONE_REQUIRED:
            errors["手机号码"] = [_("请填写手机号码，便于单位联系您。")]
        cleaned["topic"] = self._topics.get(text_clean(values["topic"]))
        if cleaned["topic"] is None:
            errors["主题"] = [_("没有名为“%(v)s”的主题。") % {"v": values["topic"]}]
        cleaned["unit"] = self._units.get(text_clean(values["unit"]))
        if cleaned["unit"] is None:
            errors["建议单位"] = [_("没有名为“%(v)s”的单位。") % {"v": values["unit"]}]
        cleaned["identity_type"] = self._identities.get(text_clean(values["identity_type"]))
        if cleaned["identity_type"] is None:
            errors["身份"] = [
                _("身份须为：%(v)s。") % {"v": "、".join(map(str, IdentityType.labels))}
            ]
        consent = text_clean(values["publish_consent"])
        if consent not in ("", "是", "否"):
            errors["同意公开展示"] = [_("请填写“是”或“否”。")]
        cleaned["publish_consent"] = consent == "是"
        if self._campaign is None or not self._campaign.is_open():
            errors["__all__"] = [_("当前没有开放的征集活动，不能导入。")]
        if errors:
            raise ValidationError(errors)
        instance._intake = cleaned
        for field, value in cleaned.items():  # for the preview (and the admin log's repr)
            setattr(instance, field, value)

    def save_instance(self, instance, is_create, row, **kwargs):
        if kwargs.get("dry_run"):
            # The preview validates only: no receipt numbers are taken and the
            # campaign row is not locked while staff read the preview.
            return
        data = instance._intake
        try:
            result = suggestion_submit(
                campaign=self._campaign,
                channel=Channel.PAPER,
                submitted_by=self._user,
                **data,
            )
        except CampaignClosed:
            raise ValidationError(_("征集活动已结束，不能导入。")) from None
        instance.pk = result.suggestion.pk
        instance.receipt = result.suggestion.receipt

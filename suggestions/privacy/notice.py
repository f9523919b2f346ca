"""The privacy notice's text, in one place: the /privacy/ page and the form's summary both
render these sentences, so they cannot contradict each other or the retention code.

Each statement is one translatable string (no sentence split over template lines, which is
what put stray spaces between Chinese sentences). The facts come from settings read at call
time: PERSONAL_DATA_RETENTION_DAYS is what suggestions.privacy.retention enforces.
"""

from django.conf import settings
from django.utils.translation import gettext as _

# Deletion requests are handled by a city administrator (retention.suggestion_erase_contact,
# which erases at once); this is the longest the request may wait for one.
ERASURE_WORKING_DAYS = 15


def privacy_facts() -> dict:
    """The configurable facts every privacy statement is built from."""
    return {
        "controller": settings.PRIVACY_DATA_CONTROLLER,
        "contact": settings.PRIVACY_CONTACT,
        "retention_days": settings.PERSONAL_DATA_RETENTION_DAYS,
        "erasure_days": ERASURE_WORKING_DAYS,
    }


def privacy_statements(*, closes_at=None) -> dict[str, str]:
    """The notice's statements, translated for the active language.

    closes_at: the current campaign's closing date (a date), shown with the retention rule.
    """
    facts = privacy_facts()
    retention = _(
        "征集活动截止后 %(days)s 天，系统自动删除姓名和手机号码，建议内容保留用于统计。"
    ) % {"days": facts["retention_days"]}
    if closes_at is not None:
        retention += _("本次活动截止日期：%(date)s。") % {"date": closes_at.strftime("%Y-%m-%d")}
    return {
        "purpose": _(
            "您的姓名（选填）和手机号码只用于：单位就建议内容与您联系、告知评选结果、"
            "您查询办理进度和防止重复提交；不会公开，也不会用于其他目的。"
        ),
        "receipt": _("回执号用于查询办理进度，不包含任何个人信息。"),
        "controller": _(
            "处理者：%(controller)s，以及您所选建议单位负责初筛的工作人员和市级评审人员。"
        )
        % {"controller": facts["controller"]},
        "access": _(
            "只有经授权的工作人员可以查看完整的联系方式，其他工作人员看到的是遮盖后的信息"
            "（如 138****1234、张*）；"
            "每一次查看、导出或删除联系方式都会被记录，记录不可修改或删除。"
        ),
        "retention": retention,
        "erasure": _(
            "您可以随时申请提前删除本人的姓名和手机号码：请凭回执号致电 %(contact)s。"
            "工作人员核实后删除，最迟 %(days)s 个工作日内办结；建议内容保留，删除后无法恢复。"
        )
        % {"contact": facts["contact"], "days": facts["erasure_days"]},
        "publication": _(
            "只有勾选“同意公开展示”时，您的建议标题和内容才可能出现在优秀金点子展示中；"
            "姓名和电话始终不公开。"
        ),
    }

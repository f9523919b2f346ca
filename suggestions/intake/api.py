"""Mini-program / partner API (/api/v1/): thin views over suggestions.intake.services.

Every error has one shape: {"error": {"code": str, "message": str, "fields": {name: [str]}}}.
The channel is taken from the API key, never from the body; unknown body fields
are refused so no caller can set status, scores or the receipt.
"""

import json
import logging
import re

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    parser_classes,
    permission_classes,
)
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from suggestions.implementation.selectors import implementation_public
from suggestions.intake.channels import (
    IdempotencyConflict,
    channel_key_authenticate,
    idempotent_call,
)
from suggestions.intake.ratelimit import submission_phone_limited
from suggestions.intake.services import (
    CampaignClosed,
    campaign_current,
    suggestion_submit,
    topics_selectable,
    units_selectable,
)
from suggestions.intake.validation import CONTENT_MAX, NAME_MAX, TITLE_MAX, phone_normalise
from suggestions.models import ChannelKey, IdentityType, Status, Suggestion

logger = logging.getLogger(__name__)

# A well-formed submission is a few kilobytes; refuse anything far larger
# before parsing it (DRF reads the body stream itself, past Django's own cap).
MAX_BODY_BYTES = 256 * 1024
# A submission is a flat object; deeper nesting only serves to exhaust the parser's stack
# (Python's json raises RecursionError, a 500, at about a thousand levels).
MAX_JSON_DEPTH = 32
# Receipts look like JC2021-000123; anything else (NUL above all) is not one of ours.
RECEIPT_PATH_RE = re.compile(r"[A-Za-z0-9-]{1,24}")


def _json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether arrays/objects nest deeper than limit (a scan, no recursion)."""
    depth, in_string, escaped = 0, False, False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _has_invalid_unicode(value) -> bool:
    """A lone surrogate (from a \\ud800 escape) anywhere in the keys or values."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


class StrictJSONParser(JSONParser):
    """JSON with limits: UTF-8 only, nesting at most MAX_JSON_DEPTH, no lone surrogates.

    Refusals are ParseError, answered 400 in the API's one error shape.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            text = stream.read().decode("utf-8") if stream is not None else ""
        except UnicodeDecodeError:
            raise exceptions.ParseError(_("请求体不是有效的 UTF-8 编码。")) from None
        if _json_depth_exceeds(text, MAX_JSON_DEPTH):
            raise exceptions.ParseError(_("JSON 嵌套超过 %(n)d 层。") % {"n": MAX_JSON_DEPTH})
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise exceptions.ParseError(_("请求体不是有效的 JSON。")) from None
        if _has_invalid_unicode(data):
            raise exceptions.ParseError(_("请求体含有无效的 Unicode 字符。"))
        return data


class ApiError(exceptions.APIException):
    def __init__(self, *, status_code: int, code: str, message: str, fields=None):
        self.status_code = status_code
        self.code = code
        self.message = message
        self.fields = fields or {}
        super().__init__(detail=message, code=code)


def _error_body(code: str, message: str, fields=None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error, ours or DRF's, in the one shape."""
    if isinstance(exc, ApiError):
        return Response(_error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {
            key: [str(m) for m in (v if isinstance(v, list) else [v])] for key, v in detail.items()
        }
        body = _error_body("invalid", _("提交的内容有误，请按字段提示修改。"), fields)
    else:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        body = _error_body(code, str(exc.detail))
    response.data = body
    return response


class ChannelKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer <key>`; the key names the channel."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _sep, raw = header.partition(" ")
        if scheme != self.keyword or not raw.strip():
            raise exceptions.AuthenticationFailed(_("接口密钥格式错误。"))
        key = channel_key_authenticate(raw_key=raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(_("接口密钥无效或已吊销。"))
        return (None, key)

    def authenticate_header(self, request):
        return self.keyword


class ChannelKeyScheme(OpenApiAuthenticationExtension):
    target_class = ChannelKeyAuthentication
    name = "channelKey"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "Per-channel API key"}


class HasChannelKey(BasePermission):
    def has_permission(self, request, view):
        return isinstance(request.auth, ChannelKey)


class SuggestionInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, help_text=f"≤ {TITLE_MAX} characters")
    content = serializers.CharField(max_length=CONTENT_MAX * 2, help_text="20–2000 characters")
    topic = serializers.IntegerField(help_text="Topic id")
    unit = serializers.IntegerField(help_text="Unit id (a county, town, the zone or a department)")
    identity_type = serializers.ChoiceField(choices=IdentityType.choices)
    name = serializers.CharField(required=False, allow_blank=True, max_length=NAME_MAX * 2)
    phone = serializers.CharField(max_length=32, help_text="Mainland mobile number")
    publish_consent = serializers.BooleanField(required=False, default=False)

    # Syntax only here; the rules themselves are the service's (shared with the form).
    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": [_("请求体必须是 JSON 对象。")]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: [_("不允许的字段。")] for name in unknown})
        return super().to_internal_value(data)


class SuggestionOutSerializer(serializers.Serializer):
    receipt = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    public_note = serializers.CharField()
    received_at = serializers.DateTimeField()
    repeat = serializers.BooleanField(
        help_text="True when this repeats an idea sent within 10 minutes (its first receipt)"
    )


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField())
                ),
            },
        )
    },
)


def _out(suggestion: Suggestion, *, repeat: bool) -> dict:
    return SuggestionOutSerializer(
        {
            "receipt": suggestion.receipt,
            "status": suggestion.status,
            "status_label": str(suggestion.get_status_display()),
            "public_note": suggestion.public_note,
            "received_at": suggestion.received_at,
            "repeat": repeat,
        }
    ).data


def _invalid(fields: dict) -> ApiError:
    return ApiError(
        status_code=400,
        code="invalid",
        message=_("提交的内容有误，请按字段提示修改。"),
        fields={k: [str(m) for m in v] for k, v in fields.items()},
    )


def _create(*, channel_key: ChannelKey, data: dict) -> tuple[int, dict]:
    campaign = campaign_current()
    topic = topics_selectable().get(data["topic"])
    unit = units_selectable().get(data["unit"])
    try:
        if campaign is None:
            raise CampaignClosed
        result = suggestion_submit(
            campaign=campaign,
            title=data["title"],
            content=data["content"],
            topic=topic,
            unit=unit,
            identity_type=data["identity_type"],
            name=data.get("name", ""),
            phone=data["phone"],
            publish_consent=data["publish_consent"],
            channel=channel_key.channel,
            channel_key=channel_key,
        )
    except DjangoValidationError as exc:
        raise _invalid(exc.message_dict) from None
    except CampaignClosed:
        raise ApiError(
            status_code=409, code="campaign_closed", message=_("本次征集暂未开放或已经结束。")
        ) from None
    code = status.HTTP_200_OK if not result.created else status.HTTP_201_CREATED
    return code, dict(_out(result.suggestion, repeat=not result.created))


IDEMPOTENCY_HEADER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    type=str,
    description="Same key + same body within 24 h returns the first response; "
    "same key + different body is a 422.",
)


@extend_schema(
    operation_id="suggestions_create",
    request=SuggestionInSerializer,
    parameters=[IDEMPOTENCY_HEADER],
    responses={
        201: SuggestionOutSerializer,
        200: SuggestionOutSerializer,
        400: ErrorSerializer,
        401: ErrorSerializer,
        409: ErrorSerializer,
        413: ErrorSerializer,
        422: ErrorSerializer,
        429: ErrorSerializer,
    },
)
@api_view(["POST"])
@parser_classes([StrictJSONParser])
@authentication_classes([ChannelKeyAuthentication])
@permission_classes([HasChannelKey])
def suggestions_create(request):
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise ApiError(status_code=413, code="too_large", message=_("请求体过大。"))
    serializer = SuggestionInSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    channel_key: ChannelKey = request.auth
    try:
        phone = phone_normalise(data["phone"])
    except DjangoValidationError as exc:
        raise _invalid({"phone": exc.messages}) from None
    if submission_phone_limited(phone):
        raise ApiError(
            status_code=429, code="rate_limited", message=_("提交过于频繁，请稍后再试。")
        )

    key = request.META.get("HTTP_IDEMPOTENCY_KEY", "").strip()
    if not key:
        code, body = _create(channel_key=channel_key, data=data)
        return Response(body, status=code)
    if len(key) > 255:
        raise ApiError(status_code=400, code="invalid", message=_("Idempotency-Key 过长。"))
    try:
        code, body = idempotent_call(
            channel_key=channel_key,
            key=key,
            payload=request.data,
            produce=lambda: _create(channel_key=channel_key, data=data),
        )
    except IdempotencyConflict:
        raise ApiError(
            status_code=422,
            code="idempotency_key_reused",
            message=_("该 Idempotency-Key 已用于内容不同的请求。"),
        ) from None
    return Response(body, status=code)


@extend_schema(
    operation_id="suggestions_retrieve",
    responses={200: SuggestionOutSerializer, 401: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["GET"])
@authentication_classes([ChannelKeyAuthentication])
@permission_classes([HasChannelKey])
def suggestions_retrieve(request, receipt: str):
    if not RECEIPT_PATH_RE.fullmatch(receipt):
        raise ApiError(status_code=404, code="not_found", message=_("未找到该回执号。"))
    suggestion = Suggestion.objects.filter(
        receipt=receipt, channel_submission__channel_key=request.auth
    ).first()
    if suggestion is None:
        raise ApiError(status_code=404, code="not_found", message=_("未找到该回执号。"))
    return Response(_out(suggestion, repeat=False))


class TimelineStepSerializer(serializers.Serializer):
    date = serializers.DateField()
    action = serializers.CharField()
    status = serializers.CharField()
    percent = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()


class ImplementationOutSerializer(serializers.Serializer):
    receipt = serializers.CharField()
    decided = serializers.BooleanField(help_text="False while the city is still studying it")
    status = serializers.CharField(allow_blank=True, help_text="e.g. 采纳, 推进中, 已落实")
    status_code = serializers.CharField(allow_blank=True)
    percent = serializers.IntegerField()
    lead_unit = serializers.CharField(allow_blank=True, help_text="承办单位 (a unit, no person)")
    due_date = serializers.DateField(allow_null=True)
    reply = serializers.CharField(allow_blank=True, help_text="The approved official reply")
    reply_date = serializers.DateField(allow_null=True)
    timeline = TimelineStepSerializer(many=True, help_text="Steps marked public, oldest first")


@extend_schema(
    operation_id="suggestions_implementation_retrieve",
    responses={200: ImplementationOutSerializer, 401: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["GET"])
@authentication_classes([ChannelKeyAuthentication])
@permission_classes([HasChannelKey])
def suggestions_implementation_retrieve(request, receipt: str):
    """The public reply and implementation timeline of an idea sent through this key."""
    suggestion = (
        Suggestion.objects.filter(receipt=receipt, channel_submission__channel_key=request.auth)
        .only("pk", "receipt")
        .first()
    )
    if suggestion is None:
        raise ApiError(status_code=404, code="not_found", message=_("未找到该回执号。"))
    found = implementation_public(suggestion_id=suggestion.pk)
    body = {
        "receipt": suggestion.receipt,
        "decided": found is not None,
        **(
            found
            or {
                "status": "",
                "status_code": "",
                "percent": 0,
                "lead_unit": "",
                "due_date": None,
                "reply": "",
                "reply_date": None,
                "timeline": [],
            }
        ),
    }
    body["status"] = str(body["status"])
    body["timeline"] = [
        {**step, "action": str(step["action"]), "status": str(step["status"])}
        for step in body["timeline"]
    ]
    return Response(ImplementationOutSerializer(body).data)

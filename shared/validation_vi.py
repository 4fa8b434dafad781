"""Pydantic's validation errors said in Vietnamese, so a 422 tells a clerk what is wrong.

Keyed by pydantic's error `type`; the English comes from pydantic itself. An error type
not listed falls back to a general sentence naming the field.
"""

from __future__ import annotations

from typing import Any

_VI: dict[str, str] = {
    "missing": "thiếu trường bắt buộc",
    "extra_forbidden": "trường này không được phép",
    "string_too_short": "cần ít nhất {min_length} ký tự",
    "string_too_long": "dài quá {max_length} ký tự",
    "too_short": "cần ít nhất {min_length} phần tử",
    "too_long": "nhiều quá {max_length} phần tử (gửi {actual_length})",
    "string_pattern_mismatch": "không đúng định dạng",
    "string_type": "phải là chuỗi ký tự",
    "int_type": "phải là số nguyên",
    "int_parsing": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "float_type": "phải là số",
    "float_parsing": "phải là số",
    "bool_type": "phải là true hoặc false",
    "bool_parsing": "phải là true hoặc false",
    "greater_than": "phải lớn hơn {gt}",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "less_than": "phải nhỏ hơn {lt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "literal_error": "phải là một trong các giá trị: {expected}",
    "enum": "phải là một trong các giá trị: {expected}",
    "list_type": "phải là một danh sách",
    "dict_type": "phải là một đối tượng JSON",
    "model_type": "phải là một đối tượng JSON",
    "model_attributes_type": "phải là một đối tượng JSON",
    "json_invalid": "nội dung không phải JSON hợp lệ",
    "json_type": "nội dung không phải JSON hợp lệ",
    "datetime_type": "phải là thời điểm (ISO 8601)",
    "datetime_parsing": "phải là thời điểm (ISO 8601)",
    "datetime_from_date_parsing": "phải là thời điểm (ISO 8601)",
    "timezone_aware": "phải có múi giờ",
    "date_parsing": "phải là ngày (YYYY-MM-DD)",
    "date_from_datetime_parsing": "phải là ngày (YYYY-MM-DD)",
    "uuid_parsing": "phải là UUID",
    "uuid_type": "phải là UUID",
    "value_error": "giá trị không hợp lệ",
    "union_tag_invalid": "loại không hợp lệ",
    "string_unicode": "chứa ký tự không hợp lệ",
}


def field_name(loc: tuple | list) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def problem_vi(error: dict[str, Any]) -> str:
    template = _VI.get(error.get("type", ""), "giá trị không hợp lệ")
    ctx = _Known({k: str(v).replace(" or ", " hoặc ") for k, v in (error.get("ctx") or {}).items()})
    try:
        return template.format_map(ctx)
    except (IndexError, ValueError):
        return template


class _Known(dict):
    def __missing__(self, key: str) -> str:  # a detail pydantic did not give: the sentence still reads
        return "?"

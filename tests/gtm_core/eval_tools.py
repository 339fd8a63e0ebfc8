"""A small catalog for the gtm eval tests: an order family whose ids flow, and unrelated tools."""

from __future__ import annotations

from gtm_core import ToolSpec

ORDER_FIELDS = {
    "order_id": {"type": "string"},
    "item": {"type": "string"},
    "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
    "status": {"type": "string", "enum": ["open", "shipped", "closed"]},
}


def _tool(name, description, parameters, required, response=None, field="Commerce", subfield=None):
    return ToolSpec(name, description, field=field, subfield=subfield,
                    parameters={"type": "object", "properties": parameters, "additionalProperties": False},
                    required=required, response=response)  # fmt: skip


def small_catalog() -> list[ToolSpec]:
    """Twelve tools: create/get/update/delete_order, and eight more in other fields."""
    order = {"type": "object", "properties": ORDER_FIELDS, "required": ["order_id", "item", "quantity", "status"]}
    return [
        _tool("create_order", "Create an order.", {"item": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1, "maximum": 100}},
              ["item", "quantity"], order),
        _tool("get_order", "Read an order by id.", {"order_id": {"type": "string"}}, ["order_id"], order),
        _tool("update_order", "Change an order's status.", {"order_id": {"type": "string"}, "status": {"type": "string", "enum": ["open", "shipped", "closed"]}},
              ["order_id", "status"], order),
        _tool("delete_order", "Delete an order.", {"order_id": {"type": "string"}}, ["order_id"],
              {"type": "object", "properties": {"order_id": {"type": "string"}, "deleted": {"type": "boolean"}}, "required": ["order_id", "deleted"]}),
        _tool("get_weather", "Current weather for a city.", {"city": {"type": "string"}, "units": {"type": "string", "enum": ["metric", "imperial"]}},
              ["city"], {"type": "object", "properties": {"city": {"type": "string"}, "temperature": {"type": "number"},
                                                          "humidity": {"type": "integer", "minimum": 0, "maximum": 100}},
                         "required": ["city", "temperature"]}, field="Weather"),
        _tool("get_air_quality", "Air quality index of a city.", {"city": {"type": "string"}}, ["city"],
              {"type": "object", "properties": {"city": {"type": "string"}, "aqi": {"type": "integer", "minimum": 0, "maximum": 500}}, "required": ["aqi"]},
              field="Weather"),
        _tool("convert_currency", "Convert an amount between currencies.",
              {"amount": {"type": "number", "minimum": 0}, "from_currency": {"type": "string", "pattern": "^[A-Z]{3}$"}, "to_currency": {"type": "string", "pattern": "^[A-Z]{3}$"}},
              ["amount", "from_currency", "to_currency"],
              {"type": "object", "properties": {"amount": {"type": "number"}, "converted": {"type": "number"}}, "required": ["converted"]}, field="Finance"),
        _tool("get_stock_quote", "The latest quote of a stock symbol.", {"symbol": {"type": "string", "minLength": 1, "maxLength": 5}}, ["symbol"],
              {"type": "object", "properties": {"symbol": {"type": "string"}, "price": {"type": "number", "minimum": 0}}, "required": ["symbol", "price"]},
              field="Finance"),
        _tool("send_email", "Send an email.", {"to": {"type": "string", "format": "email"}, "subject": {"type": "string"}, "body": {"type": "string"}},
              ["to", "subject"], {"type": "object", "properties": {"message_id": {"type": "string"}, "sent": {"type": "boolean"}}, "required": ["message_id"]},
              field="Communication"),
        _tool("translate_text", "Translate text into a language.", {"text": {"type": "string"}, "target_language": {"type": "string", "enum": ["en", "fr", "de"]}},
              ["text", "target_language"], None, field="Language"),
        _tool("search_books", "Search books by title.", {"title": {"type": "string"}, "limit": {"type": "integer", "minimum": 1, "maximum": 20}},
              ["title"], {"type": "object", "properties": {"books": {"type": "array", "items": {"type": "object"}}}}, field="Books"),
        _tool("roll_dice", "Roll dice.", {"sides": {"type": "integer", "minimum": 2, "maximum": 100}, "count": {"type": "integer", "minimum": 1, "maximum": 10}},
              ["sides"], {"type": "object", "properties": {"rolls": {"type": "array", "items": {"type": "integer"}}}, "required": ["rolls"]}, field="Games"),
    ]  # fmt: skip

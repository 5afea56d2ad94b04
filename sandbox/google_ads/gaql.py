"""The slice of the Google Ads Query Language the sandbox answers.

``SELECT f, ... FROM resource [WHERE cond [AND cond]...] [ORDER BY f [ASC|DESC], ...] [LIMIT n]``
with conditions ``f = v``, ``f != v``, ``f < v`` (and ``<=``, ``>``, ``>=``), ``f IN (v, ...)`` and
``f NOT IN (v, ...)``; values are numbers, 'strings' / "strings" or bare enum names. Resources:
customer, campaign, campaign_budget, ad_group, ad_group_ad, each with the resources the API
attributes to it (https://developers.google.com/google-ads/api/docs/query/grammar,
https://developers.google.com/google-ads/api/fields/v26/campaign). As the API does, a row
carries only the selected fields plus the ``resource_name`` of every resource selected from, and
unknown fields are refused with ``QueryError.UNRECOGNIZED_FIELD``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from google.ads.googleads.v26.services.types.google_ads_service import GoogleAdsRow

from .failures import query_error
from .state import Account

# What each FROM resource may select: itself and the resources attributed to it.
ATTRIBUTED = {
    "customer": ("customer",),
    "campaign": ("campaign", "campaign_budget", "customer"),
    "campaign_budget": ("campaign_budget", "customer"),
    "ad_group": ("ad_group", "campaign", "customer"),
    "ad_group_ad": ("ad_group_ad", "ad_group", "campaign", "customer"),
}

Getter = Callable[[Account, dict], object]

FIELDS: dict[str, Getter] = {
    "customer.resource_name": lambda a, r: a.customer_resource_name,
    "customer.id": lambda a, r: int(a.customer_id),
    "customer.descriptive_name": lambda a, r: a.descriptive_name,
    "customer.currency_code": lambda a, r: a.currency_code,
    "customer.time_zone": lambda a, r: a.time_zone,
    "customer.manager": lambda a, r: a.manager,
    "customer.test_account": lambda a, r: False,
    "customer.status": lambda a, r: "ENABLED",
    "campaign.resource_name": lambda a, r: a.resource_name("campaign", r["campaign"].id),
    "campaign.id": lambda a, r: r["campaign"].id,
    "campaign.name": lambda a, r: r["campaign"].name,
    "campaign.status": lambda a, r: r["campaign"].status,
    "campaign.advertising_channel_type": lambda a, r: r["campaign"].channel_type,
    "campaign.campaign_budget": lambda a, r: a.resource_name(
        "campaign_budget", r["campaign"].budget_id
    ),
    "campaign_budget.resource_name": lambda a, r: a.resource_name(
        "campaign_budget", r["campaign_budget"].id
    ),
    "campaign_budget.id": lambda a, r: r["campaign_budget"].id,
    "campaign_budget.name": lambda a, r: r["campaign_budget"].name,
    "campaign_budget.amount_micros": lambda a, r: r["campaign_budget"].amount_micros,
    "campaign_budget.explicitly_shared": lambda a, r: r["campaign_budget"].explicitly_shared,
    "campaign_budget.status": lambda a, r: r["campaign_budget"].status,
    "campaign_budget.delivery_method": lambda a, r: r["campaign_budget"].delivery_method,
    "campaign_budget.period": lambda a, r: r["campaign_budget"].period,
    "campaign_budget.reference_count": lambda a, r: len(
        a.campaigns_of_budget(r["campaign_budget"].id)
    ),
    "ad_group.resource_name": lambda a, r: a.resource_name("ad_group", r["ad_group"].id),
    "ad_group.id": lambda a, r: r["ad_group"].id,
    "ad_group.name": lambda a, r: r["ad_group"].name,
    "ad_group.status": lambda a, r: r["ad_group"].status,
    "ad_group.campaign": lambda a, r: a.resource_name("campaign", r["ad_group"].campaign_id),
    "ad_group_ad.resource_name": lambda a, r: a.resource_name("ad_group_ad", r["ad_group_ad"].key),
    "ad_group_ad.status": lambda a, r: r["ad_group_ad"].status,
    "ad_group_ad.ad_group": lambda a, r: a.resource_name("ad_group", r["ad_group_ad"].ad_group_id),
    "ad_group_ad.ad.resource_name": lambda a, r: (
        f"{a.customer_resource_name}/ads/{r['ad_group_ad'].ad_id}"
    ),
    "ad_group_ad.ad.id": lambda a, r: r["ad_group_ad"].ad_id,
    "ad_group_ad.ad.name": lambda a, r: r["ad_group_ad"].name,
    "ad_group_ad.ad.final_urls": lambda a, r: list(r["ad_group_ad"].final_urls),
}

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<op>!=|<=|>=|=|<|>|,|\(|\))|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)
_OPS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "IN": lambda a, b: a in b,
    "NOT IN": lambda a, b: a not in b,
}


@dataclass
class Query:
    fields: list[str]
    resource: str
    conditions: list[tuple[str, str, object]]
    order_by: list[tuple[str, bool]]  # (field, descending)
    limit: int | None


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise query_error("QUERY_ERROR", f"Error in query: unexpected input {text[pos:]!r}.")
        pos = m.end()
        kind = m.lastgroup
        value = m.group(kind)
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out.append((kind, value))
    return out


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, word: str | None = None) -> bool:
        if self.i >= len(self.toks):
            return False
        kind, value = self.toks[self.i]
        return word is None or (kind in ("word", "op") and value.upper() == word)

    def take(self, word: str | None = None) -> tuple[str, str]:
        if self.i >= len(self.toks):
            raise query_error("UNEXPECTED_END_OF_QUERY", "Error in query: unexpected end of query.")
        tok = self.toks[self.i]
        if word is not None and tok[1].upper() != word:
            raise query_error("QUERY_ERROR", f"Error in query: expected {word}, got {tok[1]!r}.")
        self.i += 1
        return tok

    def field(self) -> str:
        kind, value = self.take()
        if kind != "word":
            raise query_error("BAD_FIELD_NAME", f"Error in query: bad field name {value!r}.")
        return value

    def value(self):
        kind, value = self.take()
        if kind == "num":
            return float(value) if "." in value else int(value)
        if kind in ("str", "word"):
            return value
        raise query_error("BAD_VALUE", f"Error in query: bad value {value!r}.")

    def parse(self) -> Query:
        self.take("SELECT")
        fields = [self.field()]
        while self.peek(","):
            self.take(",")
            fields.append(self.field())
        if not self.peek("FROM"):
            raise query_error("EXPECTED_FROM", "Error in query: missing FROM clause.")
        self.take("FROM")
        resource = self.field()
        conditions, order_by, limit = [], [], None
        if self.peek("WHERE"):
            self.take("WHERE")
            conditions.append(self.condition())
            while self.peek("AND"):
                self.take("AND")
                conditions.append(self.condition())
        if self.peek("ORDER"):
            self.take("ORDER")
            self.take("BY")
            while True:
                name = self.field()
                desc = False
                if self.peek("ASC") or self.peek("DESC"):
                    desc = self.take()[1].upper() == "DESC"
                order_by.append((name, desc))
                if not self.peek(","):
                    break
                self.take(",")
        if self.peek("LIMIT"):
            self.take("LIMIT")
            kind, value = self.take()
            if kind != "num" or not value.isdigit():
                raise query_error("BAD_LIMIT_VALUE", "Error in query: bad LIMIT value.")
            limit = int(value)
        if self.i < len(self.toks):
            raise query_error(
                "QUERY_ERROR", f"Error in query: unexpected input {self.toks[self.i][1]!r}."
            )
        return Query(fields, resource, conditions, order_by, limit)

    def condition(self) -> tuple[str, str, object]:
        name = self.field()
        if self.peek("NOT"):
            self.take("NOT")
            self.take("IN")
            return name, "NOT IN", self.values()
        if self.peek("IN"):
            self.take("IN")
            return name, "IN", self.values()
        kind, op = self.take()
        if op not in _OPS:
            raise query_error("BAD_OPERATOR", f"Error in query: bad operator {op!r}.")
        return name, op, self.value()

    def values(self) -> list:
        self.take("(")
        values = [self.value()]
        while self.peek(","):
            self.take(",")
            values.append(self.value())
        self.take(")")
        return values


def parse(text: str) -> Query:
    """Parse ``text``; an ApiError (QueryError) for anything outside the subset."""
    query = _Parser(text).parse()
    if query.resource not in ATTRIBUTED:
        raise query_error(
            "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
            f"Error in query: invalid resource name '{query.resource}' in FROM clause.",
            query.resource,
        )
    allowed = ATTRIBUTED[query.resource]
    named = query.fields + [c[0] for c in query.conditions] + [o[0] for o in query.order_by]
    for name in named:
        if name not in FIELDS:
            raise query_error(
                "UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.", name
            )
        if name.split(".", 1)[0] not in allowed:
            raise query_error(
                "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE",
                f"Field '{name}' is not available with resource '{query.resource}'.",
                name,
            )
    return query


def _contexts(account: Account, resource: str) -> Iterator[dict]:
    if resource == "customer":
        yield {}
    elif resource == "campaign":
        for c in sorted(account.campaigns.values(), key=lambda c: c.id):
            yield {"campaign": c, "campaign_budget": account.budgets[c.budget_id]}
    elif resource == "campaign_budget":
        for b in sorted(account.budgets.values(), key=lambda b: b.id):
            yield {"campaign_budget": b}
    elif resource == "ad_group":
        for g in sorted(account.ad_groups.values(), key=lambda g: g.id):
            yield {"ad_group": g, "campaign": account.campaigns[g.campaign_id]}
    elif resource == "ad_group_ad":
        for ad in sorted(account.ads.values(), key=lambda a: (a.ad_group_id, a.ad_id)):
            group = account.ad_groups[ad.ad_group_id]
            yield {
                "ad_group_ad": ad,
                "ad_group": group,
                "campaign": account.campaigns[group.campaign_id],
            }


def _coerce(actual, literal):
    """Compare ints with numbers (ids may be quoted), everything else as written."""
    if isinstance(actual, bool):
        return str(literal).upper() == "TRUE" if isinstance(literal, str) else bool(literal)
    if isinstance(actual, int) and isinstance(literal, str):
        try:
            return int(literal)
        except ValueError:
            raise query_error(
                "BAD_NUMBER", f"Error in query: {literal!r} is not a number."
            ) from None
    return literal


def _matches(account: Account, ctx: dict, cond: tuple[str, str, object]) -> bool:
    name, op, literal = cond
    actual = FIELDS[name](account, ctx)
    if isinstance(literal, list):
        literal = [_coerce(actual, v) for v in literal]
    else:
        literal = _coerce(actual, literal)
    return bool(_OPS[op](actual, literal))


def _put(row: GoogleAdsRow, path: str, value) -> None:
    *parents, leaf = path.split(".")
    target = row
    for part in parents:
        target = getattr(target, part)
    setattr(target, leaf, value)


def run(account: Account, query: Query) -> list[GoogleAdsRow]:
    """Every row the query selects, in order, holding only the selected fields."""
    with account.lock:
        contexts = [
            ctx
            for ctx in _contexts(account, query.resource)
            if all(_matches(account, ctx, cond) for cond in query.conditions)
        ]
        for name, desc in reversed(query.order_by):
            contexts.sort(key=lambda ctx, n=name: FIELDS[n](account, ctx), reverse=desc)
        if query.limit is not None:
            contexts = contexts[: query.limit]
        resources = {name.split(".", 1)[0] for name in query.fields}
        rows = []
        for ctx in contexts:
            row = GoogleAdsRow()
            for resource in sorted(resources):
                _put(
                    row,
                    f"{resource}.resource_name",
                    FIELDS[f"{resource}.resource_name"](account, ctx),
                )
            for name in query.fields:
                _put(row, name, FIELDS[name](account, ctx))
            rows.append(row)
        return rows

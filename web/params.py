"""The request parameters every API route and dashboard page reads alike: the date range and the
path's site, a route's query read into the Struct that declares it (and that the OpenAPI document
shows), and the wrapper that turns a refused parameter into its JSON answer."""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, TypeVar, get_args, get_origin, get_type_hints

import msgspec
from msgspec import Meta
from msgspec import inspect as types
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from footfall.collector.rejection import Rejected
from footfall.web import dates

DEFAULT_DAYS = 30
PAGE = "A path, or a pattern where * stands for one or more whole path segments"
URL_REQUIRED = "url is required: a path, or a pattern where * stands for path segments"
TRUE, FALSE = ("true", "1", "yes"), ("false", "0", "no")
INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII digits: int() also takes '１２', ' 5' and '1_0'
_AT = re.compile(r" - at `\$\.([^`\[]+)")

Day = Annotated[str, Meta(extra_json_schema={"format": "date"})]  # read by date_range, which clamps it
# On with `true` or `1`, off with anything else: a flag the dashboard sets, never refused.
Switch = Annotated[bool, Meta(extra={"switch": True})]


class Refusal(NamedTuple):
    """A parameter's 400 message: `message` for a value out of bounds, `not_a_value` for one of the
    wrong kind (a word for a number), `missing` for a required one left out; both default to `message`."""

    message: str
    not_a_value: str = ""
    missing: str = ""


class Query(msgspec.Struct, kw_only=True):
    """A route's query parameters, read by `query_of` and shown as declared by the OpenAPI document.

    A refused value is answered with the parameter's entry in `refusals`, or else a message made
    from its type: `X must be one of a, b, c`, `X must be true or false`, `X must be an integer`
    or `X must be 1 to 500`, `X must be at most 2048 characters`, `X is required`.

    Subclasses say `kw_only=True` too: their fields then keep the order they are declared in (which
    is the document's, and which parameter a 400 names first) and a required one may follow others."""

    refusals: ClassVar[dict[str, str | Refusal]] = {}


class DateRange(Query, kw_only=True):
    """`from` and `to`, which date_range reads: declared here for the document."""

    from_: Annotated[Day, Meta(description=f"First day in the site's time zone, inclusive; default "
                                           f"{DEFAULT_DAYS - 1} days ago")] \
        | None = msgspec.field(default=None, name="from")
    to: Annotated[Day, Meta(description="Last day in the site's time zone, inclusive; default today")] | None = None


class SitePath(msgspec.Struct):
    """The path's site, which web/access.py checks the request may read."""

    site: str


Q = TypeVar("Q", bound=Query)


def days_asked(request: Request) -> tuple[date, date]:
    """`from` and `to` as inclusive days (not yet clamped); the default is the last 30 days. The API
    refuses what cannot be read; the dashboard shows its default with a note instead."""
    today = dates.today(site_zone(request))

    def parse(name: str, default: date) -> date:
        raw = request.query_params.get(name)
        if not raw:
            return default
        try:
            return dates.parse_day(raw)
        except ValueError:
            raise Rejected(400, name, f"{name} must be an ISO date (YYYY-MM-DD)") from None

    start = parse("from", today - timedelta(days=DEFAULT_DAYS - 1))
    end = parse("to", today)
    if end < start:
        raise Rejected(400, "to", "to is before from")
    return start, end


def date_range(request: Request) -> tuple[datetime, datetime]:
    """The days asked for as the instants a query takes. Days before 1970 or after 2099 are read as
    the nearest day of that window (web/dates.py)."""
    return dates.day_bounds(*days_asked(request), site_zone(request))


def site_zone(request: Request) -> str:
    """The time zone of the path's site (`site` in the API, `key` in the dashboard): its days are
    the ones asked for. UTC for a site the runtime does not know (the route answers for it)."""
    key = request.path_params.get("site") or request.path_params.get("key")
    known = request.app.state.runtime.sites.sites.get(key) if key else None
    return known.time_zone if known else "UTC"


def site_of(request: Request) -> str:
    """The path's site; web/access.py has checked that the request may read it."""
    return request.path_params["site"]


def site_and_range(request: Request) -> tuple[str, datetime, datetime]:
    """The path's site and the query's date range: what every read of a site's data starts with."""
    return (site_of(request), *date_range(request))


def days_of(request: Request) -> dict[str, str]:
    """The days asked for as `from` and `to` say them, in the site's time zone, clamped as queried."""
    first, last = (dates.clamped(day) for day in days_asked(request))
    return {"from": first.isoformat(), "to": last.isoformat()}


# -- a query read into its Struct -----------------------------------------------------------------
class Field(NamedTuple):
    name: str  # as the query says it
    of: Any  # its type without None, as msgspec.inspect gives it
    required: bool
    refusal: Refusal


def query_of(request: Request, kind: type[Q]) -> Q:
    """The request's query as `kind`, or a Rejected naming the first parameter at fault. An empty
    value is no value; a list takes every value given, each of which may be a comma list."""
    raw: dict[str, Any] = {}
    unread = set()
    for field in fields_of(kind):
        if isinstance(field.of, types.ListType):
            given = [item.strip() for value in request.query_params.getlist(field.name) for item in value.split(",")]
            raw[field.name] = list(dict.fromkeys(item for item in given if item))
        elif value := request.query_params.get(field.name):
            raw[field.name] = read(value, field.of)
            if isinstance(raw[field.name], str) and not isinstance(field.of, types.StrType | types.LiteralType):
                unread.add(field.name)
        elif field.required:
            raise Rejected(400, field.name, field.refusal.missing or field.refusal.message)
    try:
        return msgspec.convert(raw, kind)
    except msgspec.ValidationError as exc:
        name = found.group(1) if (found := _AT.search(str(exc))) else ""
        refusal = next((field.refusal for field in fields_of(kind) if field.name == name), Refusal(str(exc)))
        raise Rejected(400, name, (name in unread and refusal.not_a_value) or refusal.message) from None


@functools.cache
def fields_of(kind: type[Query]) -> tuple[Field, ...]:
    """The fields of a query Struct in declared order, each with its refusal."""
    hints = get_type_hints(kind, include_extras=True)
    out = []
    for field in types.type_info(kind).fields:
        of = bare(field.type)
        refusal = kind.refusals.get(field.encode_name) or said(field.encode_name, of, literal(hints[field.name]))
        refusal = Refusal(refusal) if isinstance(refusal, str) else refusal
        out.append(Field(field.encode_name, of, field.required, refusal))
    return tuple(out)


def bare(of: Any) -> Any:
    """A field's type without its None (`X | None`) and without metadata, but for a Switch."""
    if isinstance(of, types.UnionType):
        of = next(option for option in of.types if not isinstance(option, types.NoneType))
    if isinstance(of, types.Metadata):
        return of if (of.extra or {}).get("switch") else bare(of.type)
    return of


def literal(hint: Any) -> tuple[Any, ...]:
    """The values of the Literal in a type hint, in their declared order (msgspec.inspect sorts them)."""
    if get_origin(hint) is Literal:
        return get_args(hint)
    return next((found for arg in get_args(hint) if (found := literal(arg))), ())


def read(value: str, of: Any) -> Any:
    """A query value as the field's type takes it; left as text when it is none of that kind."""
    if isinstance(of, types.Metadata):  # a Switch
        return value in ("true", "1")
    if isinstance(of, types.IntType):
        return int(value) if INTEGER.fullmatch(value) else value
    if isinstance(of, types.FloatType):
        try:
            return float(value)  # nan and inf are then out of any bounds
        except ValueError:
            return value
    if isinstance(of, types.BoolType):
        lowered = value.lower()
        return True if lowered in TRUE else False if lowered in FALSE else value
    return value


def said(name: str, of: Any, values: tuple[Any, ...]) -> Refusal:
    """The refusal a parameter's type makes (Query's docstring)."""
    if values:
        names = [str(value) for value in values]
        listed = " or ".join(names) if len(names) == 2 else f"one of {', '.join(names)}"
        return Refusal(f"{name} must be {listed}", missing=f"{name} is required")
    if isinstance(of, types.BoolType):
        return Refusal(f"{name} must be true or false")
    if isinstance(of, types.IntType):
        bounds = f"{of.ge} to {of.le}" if of.le is not None else f"{of.ge} or more"
        return Refusal(f"{name} must be {bounds}", f"{name} must be an integer")
    if isinstance(of, types.StrType) and of.max_length is not None:
        return Refusal(f"{name} must be at most {of.max_length} characters", missing=f"{name} is required")
    return Refusal(f"{name} is not valid", missing=f"{name} is required")


def guarded(handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except Rejected as exc:
            return JSONResponse(exc.body(), status_code=exc.status)

    return run

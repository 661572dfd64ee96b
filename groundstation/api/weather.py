"""Weather for the go/no-go gate: what the station knows now, and a pilot's manual entry.

``GET /api/weather``: the current report (a pilot's entry until it expires, else the polled
source's), the verdicts a launch would get now, and the source's last error. ``POST
/api/weather``: a pilot enters gusts, rain, visibility (and wind) valid for a while; audited.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from groundstation.api.deps import CurrentUser, PilotUser, ServicesDep, SessionDep
from groundstation.db.audit import audit
from groundstation.errors import InvalidRequest
from groundstation.services import Services
from groundstation.weather.report import WeatherError

router = APIRouter(prefix="/api/weather", tags=["weather"])


class WeatherVerdictPublic(BaseModel):
    name: str
    ok: bool
    reason: str


class WeatherPublic(BaseModel):
    """The weather the go/no-go gate uses now."""

    report: dict[str, object] | None
    verdicts: list[WeatherVerdictPublic]
    source: str | None = Field(description="the polled source (URL or file); null: none")
    last_error: str | None = Field(description="why the last poll failed, if it did")


class WeatherEntry(BaseModel):
    """A pilot's own observation, valid for `valid_for_s`."""

    wind_m_s: float | None = Field(None, ge=0, le=100)
    gust_m_s: float | None = Field(None, ge=0, le=100)
    rain_mm_h: float | None = Field(None, ge=0, le=500)
    visibility_m: float | None = Field(None, ge=0, le=100_000)
    valid_for_s: float = Field(3600.0, gt=0)


def _public(services: Services) -> WeatherPublic:
    wx = services.weather
    report = wx.current()
    return WeatherPublic(
        report=report.as_dict() if report else None,
        verdicts=[
            WeatherVerdictPublic(name=v.name, ok=v.ok, reason=v.reason) for v in wx.verdicts()
        ],
        source=wx.source,
        last_error=wx.last_error,
    )


@router.get("")
async def read_weather(services: ServicesDep, _user: CurrentUser) -> WeatherPublic:
    """The current report and what the go/no-go gate would say now."""
    return _public(services)


@router.post("")
async def enter_weather(
    body: WeatherEntry, services: ServicesDep, session: SessionDep, user: PilotUser
) -> WeatherPublic:
    """A pilot's entry: it wins over the polled source until it expires."""
    try:
        services.weather.enter(
            user.username, body.valid_for_s, wind_m_s=body.wind_m_s, gust_m_s=body.gust_m_s,
            rain_mm_h=body.rain_mm_h, visibility_m=body.visibility_m,
        )  # fmt: skip
    except WeatherError as exc:
        raise InvalidRequest(str(exc), field="valid_for_s") from None
    await audit(session, user, None, "weather.enter", "ok", body.model_dump())
    return _public(services)

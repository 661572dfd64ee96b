"""`ecopatrol sim` / `python -m simulator`: run a simulated fleet until Ctrl-C.

Heavy imports happen inside the command so `ecopatrol --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from simulator.camera.fleet_cameras import CameraConfig

app = typer.Typer(
    name="sim",
    help=(
        "Run N simulated ArduCopter-like drones that any MAVLink ground station can fly. "
        "With neither --connect nor --listen they send to udpout:127.0.0.1:14550 "
        "(QGroundControl's and MAVProxy's port). See simulator/README.md."
    ),
    add_completion=False,
)

DEFAULT_CONNECT = "udpout:127.0.0.1:14550"


def _home(text: str | None) -> tuple[float, float, float] | None:
    if text is None:
        return None
    try:
        lat, lon, alt = (float(x) for x in text.split(","))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r}: expected LAT,LON,ALT, e.g. 29.05253,119.181841,40"
        ) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise typer.BadParameter(f"{text!r}: latitude must be -90..90 and longitude -180..180")
    return lat, lon, alt


def _key(text: str | None) -> bytes | None:
    if text is None:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise typer.BadParameter("signing key must be 64 hexadecimal digits (32 bytes)") from None
    if len(key) != 32:
        raise typer.BadParameter(f"signing key must be 32 bytes, got {len(key)}")
    return key


def _camera(video_to: str, scene: Path | None, config: type[CameraConfig]) -> CameraConfig:
    host, _, port = video_to.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise typer.BadParameter(
            f"--video-to {video_to!r}: expected HOST:PORT, e.g. 127.0.0.1:5600"
        )
    if scene is not None and not scene.is_file():
        raise typer.BadParameter(f"--scene {scene}: no such file")
    return config(video_host=host, video_base_port=int(port), scene_file=scene)


def _wind(text: str | None) -> tuple[float, float, float] | None:
    if text is None:
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise typer.BadParameter("wind must be SPEED_M_S,FROM_DEG[,GUST_M_S]") from None
    if len(parts) not in (2, 3):
        raise typer.BadParameter("wind must be SPEED_M_S,FROM_DEG[,GUST_M_S]")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else 0.0


Opt = typer.Option


@app.callback(invoke_without_command=True)
def sim(
    drones: Annotated[int, Opt(min=1, max=250, help="Number of vehicles (sysid 1..N).")] = 3,
    connect: Annotated[str | None, Opt(help="Send to a GCS: udpout:H:P, tcp:H:P.")] = None,
    listen: Annotated[str | None, Opt(help="Wait for a GCS: udpin:H:P, tcpin:H:P.")] = None,
    per_vehicle_ports: Annotated[bool, Opt(help="One endpoint per vehicle (PORT+i).")] = False,
    speedup: Annotated[float, Opt(min=0.01, help="Simulated seconds per wall second.")] = 1.0,
    seed: Annotated[int, Opt(help="Seed of every random thing.")] = 0,
    packet_loss: Annotated[float, Opt(min=0, max=100, help="Percent lost, both ways.")] = 0.0,
    latency_ms: Annotated[float, Opt(min=0, help="Added latency, simulated ms.")] = 0.0,
    home: Annotated[str | None, Opt(help="LAT,LON,ALT_MSL of the first vehicle.")] = None,
    signing_key: Annotated[str | None, Opt(help="MAVLink 2 signing key, 64 hex digits.")] = None,
    control: Annotated[str | None, Opt(help="JSON-lines control: tcp:127.0.0.1:PORT.")] = None,
    wind: Annotated[str | None, Opt(help="SPEED_M_S,FROM_DEG[,GUST_M_S], all vehicles.")] = None,
    duration: Annotated[float | None, Opt(min=0, help="Stop after this many wall seconds.")] = None,
    camera: Annotated[bool, Opt(help="A gimbal camera on each vehicle (component 100).")] = False,
    video_to: Annotated[
        str, Opt(help="HOST:PORT the first camera streams RTP/H.264 to (then PORT+1, ...).")
    ] = "127.0.0.1:5600",
    scene: Annotated[
        Path | None, Opt(help="GeoJSON water polygons (+ scene_objects) the cameras see.")
    ] = None,
) -> None:
    """Start the fleet and keep it running."""
    import asyncio

    from simulator.camera.fleet_cameras import CameraConfig
    from simulator.fleet import SimConfig, SimConfigError
    from simulator.runner import run_fleet
    from simulator.server import EndpointError, parse_url

    if connect is None and listen is None:
        connect = DEFAULT_CONNECT
    config = SimConfig(
        drones=drones,
        listen=listen,
        connect=connect,
        per_vehicle_ports=per_vehicle_ports,
        speedup=speedup,
        seed=seed,
        home=_home(home),
        packet_loss_pct=packet_loss,
        latency_ms=latency_ms,
        signing_key=_key(signing_key),
        camera=_camera(video_to, scene, CameraConfig) if camera else None,
        wind=_wind(wind),
    )
    try:
        config.validate()
        for url in (listen, connect, control):
            if url is not None:
                parse_url(url.replace("tcp:", "tcpin:", 1) if url is control else url)
    except (SimConfigError, EndpointError) as exc:
        raise typer.BadParameter(str(exc)) from None
    try:
        asyncio.run(run_fleet(config, control, duration))
    except KeyboardInterrupt:
        typer.echo("stopped")
    except OSError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


def main() -> None:
    app(prog_name="python -m simulator")

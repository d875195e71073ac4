"""The map's scripts and styles, kept on disk so a map opens with no internet.

Why: folium's HTML loads Leaflet, its plugins, jQuery, Bootstrap and Font Awesome
from public CDNs, which a station in the Gobi cannot reach. ``fetch`` downloads the
exact versions folium asks for from the npm registry once, at set-up time (checking
each tarball against the registry's SHA-512), into a local folder; ``inline`` then
writes every script and style, with its images and fonts as data URIs, into the map's
HTML itself, so one file is the whole map. Folium's own heat-map script is taken from
the installed folium package. When the folder is empty the map keeps its CDN links
and says so.

The folder is ``$DRONEWATCH_WEB_ASSETS``, or ``~/.cache/dronewatch/web``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import os
import re
import tarfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import folium

from dronewatch.errors import DronewatchError

__all__ = ["ASSETS", "WebAssetError", "assets_dir", "fetch", "inline", "missing"]

NPM_REGISTRY = os.environ.get("DRONEWATCH_NPM_REGISTRY", "https://registry.npmjs.org")


class WebAssetError(DronewatchError):
    """A map asset could not be fetched or failed its integrity check."""


@dataclass(frozen=True, slots=True)
class Asset:
    """One CDN file of folium's and where its copy comes from."""

    cdn_suffix: str  # the end of folium's CDN URL, unique among them
    package: str  # npm package ("" for a file of the folium package)
    version: str
    path: str  # inside the package


ASSETS: tuple[Asset, ...] = (
    Asset("leaflet@1.9.3/dist/leaflet.js", "leaflet", "1.9.3", "dist/leaflet.js"),
    Asset("leaflet@1.9.3/dist/leaflet.css", "leaflet", "1.9.3", "dist/leaflet.css"),
    Asset("jquery-3.7.1.min.js", "jquery", "3.7.1", "dist/jquery.min.js"),
    Asset("bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js", "bootstrap", "5.2.2",
          "dist/js/bootstrap.bundle.min.js"),
    Asset("bootstrap@5.2.2/dist/css/bootstrap.min.css", "bootstrap", "5.2.2",
          "dist/css/bootstrap.min.css"),
    Asset("Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js",
          "leaflet.awesome-markers", "2.0.5", "dist/leaflet.awesome-markers.js"),
    Asset("Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css",
          "leaflet.awesome-markers", "2.0.5", "dist/leaflet.awesome-markers.css"),
    Asset("fontawesome-free@6.2.0/css/all.min.css", "@fortawesome/fontawesome-free", "6.2.0",
          "css/all.min.css"),
    Asset("leaflet.markercluster/1.1.0/leaflet.markercluster.js", "leaflet.markercluster",
          "1.1.0", "dist/leaflet.markercluster.js"),
    Asset("leaflet.markercluster/1.1.0/MarkerCluster.css", "leaflet.markercluster", "1.1.0",
          "dist/MarkerCluster.css"),
    Asset("leaflet.markercluster/1.1.0/MarkerCluster.Default.css", "leaflet.markercluster",
          "1.1.0", "dist/MarkerCluster.Default.css"),
    Asset("folium/templates/leaflet_heat.min.js", "", "", "templates/leaflet_heat.min.js"),
)
# Styles folium links that our maps do not use (Bootstrap 3 glyphs, rotated icons).
UNUSED = ("bootstrap-glyphicons.css", "leaflet.awesome.rotate.min.css")
_INLINED_SUFFIXES = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif",
                     ".woff2": "font/woff2"}


def assets_dir() -> Path:
    return Path(os.environ.get("DRONEWATCH_WEB_ASSETS",
                               Path.home() / ".cache" / "dronewatch" / "web"))


def _package_dir(asset: Asset, root: Path) -> Path:
    if not asset.package:
        return Path(folium.__file__).parent
    return root / f"{asset.package.replace('/', '__')}@{asset.version}"


def missing(root: Path | None = None) -> list[str]:
    """Packages not yet fetched (empty when maps can be written fully offline)."""
    root = root or assets_dir()
    return sorted({f"{a.package}@{a.version}" for a in ASSETS
                   if not (_package_dir(a, root) / a.path).is_file()})


def _get(url: str, timeout_s: float) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return response.read()


def fetch(root: Path | None = None, *, timeout_s: float = 60.0,
          say: Callable[[str], None] = lambda _: None) -> list[str]:
    """Download what is missing from the npm registry; the packages fetched.

    Raises
    ------
    WebAssetError
        The registry is unreachable or a tarball does not match its SHA-512.
    """
    root = root or assets_dir()
    fetched = []
    for name in missing(root):
        package, _, version = name.rpartition("@")
        try:
            meta = json.loads(_get(f"{NPM_REGISTRY}/{package}/{version}", timeout_s))
            tarball = _get(meta["dist"]["tarball"], timeout_s)
        except (OSError, ValueError, KeyError) as exc:
            raise WebAssetError(f"cannot fetch {name} from {NPM_REGISTRY}: {exc}") from exc
        algorithm, _, digest = meta["dist"]["integrity"].partition("-")
        if base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode() != digest:
            raise WebAssetError(f"{name}: the tarball does not match the registry's "
                                f"{algorithm} checksum; nothing was written")
        target = root / f"{package.replace('/', '__')}@{version}"
        keep = {a.path.split("/")[0] for a in ASSETS if a.package == package} | {"webfonts"}
        with tarfile.open(fileobj=io.BytesIO(tarball)) as archive:
            archive.extractall(target, filter=functools.partial(_inside, keep=keep))
        fetched.append(name)
        say(f"fetched {name}")
    return fetched


def _inside(member: tarfile.TarInfo, path: str, keep: set[str]) -> tarfile.TarInfo | None:
    """npm tarballs hold ``package/...``: keep the folders the map uses, refuse anything
    unsafe (absolute paths, links out, devices)."""
    member = tarfile.data_filter(member, path)
    if member is None or "/" not in member.name:
        return None
    inner = member.name.split("/", 1)[1]
    if inner.split("/")[0] not in keep:
        return None
    return member.replace(name=inner, deep=False)


def _css_with_data_uris(css: str, base: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        ref = match.group(2)
        clean = ref.split("?")[0].split("#")[0]
        mime = _INLINED_SUFFIXES.get(Path(clean).suffix.lower())
        target = (base / clean).resolve()
        if ref.startswith("data:") or mime is None or not target.is_file():
            return match.group(0)
        data = base64.b64encode(target.read_bytes()).decode()
        return f"url(data:{mime};base64,{data})"

    return re.sub(r"url\((['\"]?)([^'\")]+)\1\)", replace, css)


def inline(html: str, root: Path | None = None) -> tuple[str, list[str]]:
    """Put every known CDN script and style into the HTML; (html, URLs left as links)."""
    root = root or assets_dir()
    left: list[str] = []

    def local_copy(url: str) -> tuple[Asset, Path] | None:
        """Our copy of a CDN file, or None (the URL is then left as a link)."""
        asset = next((a for a in ASSETS if url.endswith(a.cdn_suffix)), None)
        path = _package_dir(asset, root) / asset.path if asset else None
        if asset is None or path is None or not path.is_file():
            left.append(url)
            return None
        return asset, path

    def script(match: re.Match[str]) -> str:
        found = local_copy(match.group(1))
        if found is None:
            return match.group(0)
        asset, path = found
        code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
        return f"<script>/* {asset.package or 'folium'} {asset.path} */\n{code}\n</script>"

    def style(match: re.Match[str]) -> str:
        if match.group(1).endswith(UNUSED):
            return ""
        found = local_copy(match.group(1))
        if found is None:
            return match.group(0)
        asset, path = found
        css = _css_with_data_uris(path.read_text(encoding="utf-8"), path.parent)
        return f"<style>/* {asset.package} {asset.path} */\n{css}\n</style>"

    html = re.sub(r'<script src="(https?://[^"]+)"></script>', script, html)
    html = re.sub(r'<link rel="stylesheet" href="(https?://[^"]+)"/?>', style, html)
    return html, left

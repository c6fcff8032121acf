"""Install the system packages devzone needs that pip cannot provide.

Run by ``make install``. Currently: a CJK font for print maps (matplotlib's default font has no
Chinese glyphs). When a CJK font is already present nothing is done; otherwise, on a Debian machine where
we are root, ``fonts-wqy-zenhei`` is installed with apt-get. Elsewhere a message says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CJK_FONT_PACKAGE = "fonts-wqy-zenhei"


def has_cjk_font() -> bool:
    """Return True when fontconfig knows a font that covers Chinese."""
    if shutil.which("fc-list") is None:
        return False
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return bool(out.stdout.strip())


def main() -> int:
    """Install what is missing; return a process exit code."""
    if has_cjk_font():
        return 0
    if shutil.which("apt-get") and os.geteuid() == 0:
        print(f"installing {CJK_FONT_PACKAGE} (a CJK font for print maps) with apt-get", file=sys.stderr)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        cmd = ["apt-get", "install", "-y", "-qq", CJK_FONT_PACKAGE, "fontconfig"]
        res = subprocess.run(cmd, check=False, env=env)
        if res.returncode == 0 and has_cjk_font():
            print(f"{CJK_FONT_PACKAGE} installed; fontconfig now lists a Chinese font", file=sys.stderr)
        else:
            # not fatal for `make install`: print maps raise a clear error saying how to install a font
            print(f"apt-get could not install {CJK_FONT_PACKAGE} (exit {res.returncode}); print maps need "
                  "a CJK font: install fonts-wqy-zenhei or fonts-noto-cjk, or set DEVZONE_CJK_FONT",
                  file=sys.stderr)
        return 0
    print(
        f"no CJK font found: print maps need one; install {CJK_FONT_PACKAGE} or fonts-noto-cjk "
        "(or set DEVZONE_CJK_FONT to a .ttf/.ttc/.otf file)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

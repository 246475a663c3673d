"""How every browser test starts Chromium: the system's own, with this machine's flags.

Playwright's browser download does not work here; Debian's chromium (apt-get install
chromium, done by .ci/run) is at /usr/bin/chromium. Without the background-networking
flags Chromium keeps calling out to the closed network.
"""

import os

CHROMIUM = os.environ.get("KENSHIN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

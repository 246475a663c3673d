#!/usr/bin/env python3
"""kenshin_open: open an encrypted kenshin batch (.p7m) and check its SHA-256.

For health-centre staff who should not have to type openssl commands. It does what
docs/exports.md step 4 does by hand:

    openssl cms -decrypt -inform DER -in FILE.p7m -recip hc.crt -inkey hc.key -out FILE.csv
    sha256sum FILE.csv      # and compare with "CSV" on the staff exports page

Only Python 3.11+ and the `cryptography` package are needed (tkinter, if present, gives
file and passphrase dialogs when the script is started without a file, e.g. by a
double-click). The CSV is written next to the batch only after its SHA-256 matched the
value from the staff page, and never over an existing file without asking.

Exit codes: 0 opened and matched; 1 a file or setting is missing; 2 the key cannot open
this batch (wrong key, wrong passphrase, batch made for another certificate); 3 the batch
file is damaged; 4 the SHA-256 does not match; 5 stopped by the user.
"""

from __future__ import annotations

import argparse
import configparser
import hashlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs7
except ImportError:  # pragma: no cover - shown to the user instead of a traceback
    print(
        "Python の cryptography パッケージがありません。管理者に連絡してください。\n"
        "The Python package 'cryptography' is missing: pip install cryptography",
        file=sys.stderr,
    )
    sys.exit(1)

OK, MISSING, WRONG_KEY, DAMAGED, MISMATCH, STOPPED = 0, 1, 2, 3, 4, 5

HERE = Path(__file__).resolve().parent
CONFIG_NAME = "kenshin_open.ini"
ENV_KEY, ENV_CERT = "KENSHIN_OPEN_KEY", "KENSHIN_OPEN_CERT"
SHA256_HEX = re.compile(r"[0-9a-f]{64}")
PASSPHRASE_TRIES = 3


class OpenerError(Exception):
    """A refusal to show the user: Japanese first, then English; `code` is the exit code."""

    def __init__(self, code: int, japanese: str, english: str) -> None:
        super().__init__(f"{japanese}\n{english}")
        self.code = code
        self.japanese = japanese
        self.english = english


@dataclass(frozen=True)
class Opened:
    csv_path: Path
    sha256: str


class Console:
    """Questions and messages on the terminal; answers from stdin when it is not a tty."""

    def ask_secret(self, prompt: str) -> str:
        if sys.stdin.isatty():
            import getpass

            return getpass.getpass(prompt)
        return self._line(prompt)

    def ask(self, prompt: str) -> str:
        if sys.stdin.isatty():
            return input(prompt)
        return self._line(prompt)

    def confirm(self, prompt: str) -> bool:
        return self.ask(f"{prompt} [y/N]: ").strip().lower() in {"y", "yes", "はい"}

    def tell(self, text: str, *, problem: bool = False) -> None:
        print(text, file=sys.stderr if problem else sys.stdout, flush=True)

    @staticmethod
    def _line(prompt: str) -> str:
        print(prompt, file=sys.stderr, flush=True)
        return sys.stdin.readline().rstrip("\r\n")


class Dialogs(Console):
    """The same questions as tkinter dialogs, for a start without a console (double-click)."""

    def __init__(self) -> None:
        import tkinter
        from tkinter import filedialog, messagebox, simpledialog

        self._root = tkinter.Tk()
        self._root.withdraw()
        self._filedialog, self._messagebox, self._simpledialog = (
            filedialog,
            messagebox,
            simpledialog,
        )

    def choose_batch(self) -> Path | None:
        name = self._filedialog.askopenfilename(
            title="開くバッチ (.p7m) を選んでください / Choose the batch (.p7m)",
            filetypes=[("kenshin batch", "*.p7m"), ("all files", "*.*")],
        )
        return Path(name) if name else None

    def ask_secret(self, prompt: str) -> str:
        return self._simpledialog.askstring("kenshin", prompt, show="*") or ""

    def ask(self, prompt: str) -> str:
        return self._simpledialog.askstring("kenshin", prompt) or ""

    def confirm(self, prompt: str) -> bool:
        return bool(self._messagebox.askyesno("kenshin", prompt))

    def tell(self, text: str, *, problem: bool = False) -> None:
        show = self._messagebox.showerror if problem else self._messagebox.showinfo
        show("kenshin", text)


def normalise_sha256(text: str) -> str | None:
    """The 64 hex digits pasted from the staff page (spaces, case, a "SHA-256:" label ok)."""
    compact = re.sub(r"\s+", "", text).lower()
    compact = re.sub(r"^(sha-?256)?[:=]?", "", compact)
    return compact if SHA256_HEX.fullmatch(compact) else None


def read_settings(script_dir: Path = HERE) -> dict[str, Path]:
    """Key and certificate paths: kenshin_open.ini next to the script, then environment.

    The .ini has one section [kenshin_open] with `key =` and `cert =`; relative paths are
    relative to the .ini. Without either, hc.key and hc.crt next to the script.
    """
    found = {"key": script_dir / "hc.key", "cert": script_dir / "hc.crt"}
    config_path = script_dir / CONFIG_NAME
    if config_path.is_file():
        parser = configparser.ConfigParser()
        parser.read(config_path, encoding="utf-8-sig")
        for name in ("key", "cert"):
            value = parser.get("kenshin_open", name, fallback="").strip()
            if value:
                found[name] = (config_path.parent / Path(value).expanduser()).resolve()
    for name, variable in (("key", ENV_KEY), ("cert", ENV_CERT)):
        if os.environ.get(variable):
            found[name] = Path(os.environ[variable]).expanduser()
    return found


def _read(path: Path, what_ja: str, what_en: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise OpenerError(
            MISSING,
            f"{what_ja}を読めません: {path}",
            f"Cannot read the {what_en}: {path} ({exc.strerror or exc})",
        ) from None


def load_certificate(path: Path) -> x509.Certificate:
    data = _read(path, "証明書", "certificate")
    loader = (
        x509.load_pem_x509_certificate if b"-----BEGIN" in data else x509.load_der_x509_certificate
    )
    try:
        return loader(data)
    except ValueError:
        raise OpenerError(
            MISSING,
            f"証明書ではありません: {path}",
            f"Not an X.509 certificate (PEM or DER): {path}",
        ) from None


def load_key(path: Path, ask_passphrase: Callable[[], str]) -> rsa.RSAPrivateKey:
    """The PEM private key, asking for its passphrase (up to three tries) when it has one."""
    data = _read(path, "鍵ファイル", "key file")
    password: bytes | None = None
    for attempt in range(PASSPHRASE_TRIES + 1):
        try:
            key = serialization.load_pem_private_key(data, password=password)
        except TypeError:  # encrypted, and no passphrase given yet
            password = ask_passphrase().encode()
            continue
        except ValueError:
            if password is None or attempt == PASSPHRASE_TRIES:
                break
            password = ask_passphrase().encode()
            continue
        if not isinstance(key, rsa.RSAPrivateKey):
            raise OpenerError(
                WRONG_KEY, f"RSA の鍵ではありません: {path}", f"Not an RSA key: {path}"
            )
        return key
    if password is None:
        raise OpenerError(
            WRONG_KEY,
            f"鍵ファイルを読めません（PEM 形式の秘密鍵ではありません）: {path}",
            f"Not a PEM private key: {path}",
        )
    raise OpenerError(
        WRONG_KEY,
        "パスフレーズが違います。鍵を開けませんでした。",
        "Wrong passphrase: the key could not be opened.",
    )


def decrypt(envelope: bytes, certificate: x509.Certificate, key: rsa.RSAPrivateKey) -> bytes:
    """The batch's plaintext, byte for byte; refusals say whose fault it is."""
    if certificate.public_key() != key.public_key():
        raise OpenerError(
            WRONG_KEY,
            "鍵と証明書が対になっていません（別の鍵か別の証明書です）。",
            "The key does not belong to the certificate (another key or certificate).",
        )
    if envelope[:1] != b"\x30":
        raise OpenerError(
            DAMAGED,
            "暗号化されたバッチファイルではないか、壊れています。",
            "This is not an encrypted kenshin batch, or the file is damaged.",
        )
    try:
        return pkcs7.pkcs7_decrypt_der(envelope, certificate, key, [])
    except ValueError as exc:
        if "No recipient" in str(exc):
            raise OpenerError(
                WRONG_KEY,
                "このバッチは別の証明書（別の鍵）あてに暗号化されています。この鍵では開けません。",
                "This batch was encrypted to another certificate: this key cannot open it.",
            ) from None
        raise OpenerError(
            DAMAGED,
            "バッチファイルが壊れています。もう一度ダウンロードしてください。",
            "The batch file is damaged. Download it again.",
        ) from None
    except Exception:  # noqa: BLE001 - unsupported algorithm etc.: staff see no traceback
        raise OpenerError(
            DAMAGED,
            "バッチファイルを開けませんでした（形式が違うか壊れています）。",
            "The batch could not be opened (unknown format or damaged).",
        ) from None


def open_batch(
    batch: Path,
    *,
    certificate_path: Path,
    key_path: Path,
    expected: str,
    ui: Console,
    out: Path | None = None,
    overwrite: bool = False,
) -> Opened:
    """Decrypt `batch`, check the plaintext SHA-256 against `expected`, write the CSV.

    Nothing is written unless the SHA-256 matched; an existing CSV is replaced only with
    `overwrite` or the user's confirmation.
    """
    envelope = _read(batch, "バッチファイル", "batch file")
    certificate = load_certificate(certificate_path)
    key = load_key(key_path, lambda: ui.ask_secret("鍵のパスフレーズ / Key passphrase: "))
    plaintext = decrypt(envelope, certificate, key)
    actual = hashlib.sha256(plaintext).hexdigest()
    if actual != expected:
        if expected == hashlib.sha256(envelope).hexdigest():
            raise OpenerError(
                MISMATCH,
                "入力された値は「ファイル」の SHA-256 です。画面の「CSV」の値を入力してください。",
                "You entered the SHA-256 of the *file*; enter the one shown as 'CSV'.",
            )
        raise OpenerError(
            MISMATCH,
            "SHA-256 が一致しません。CSV は保存していません。"
            "取り込まずに管理者に連絡してください。\n"
            f"  画面の値: {expected}\n  実際の値: {actual}",
            "The SHA-256 does not match. The CSV was NOT saved. Do not import; tell the "
            f"administrator.\n  expected: {expected}\n  actual:   {actual}",
        )
    target = out or batch.with_suffix(".csv")
    if target.exists() and not overwrite:
        if not ui.confirm(f"{target} はすでにあります。上書きしますか？ / Overwrite {target}?"):
            raise OpenerError(
                STOPPED,
                f"上書きしませんでした: {target}",
                f"Not overwritten: {target}",
            )
    try:
        target.write_bytes(plaintext)
    except OSError as exc:
        raise OpenerError(
            MISSING,
            f"CSV を保存できません: {target}",
            f"Cannot write the CSV: {target} ({exc.strerror or exc})",
        ) from None
    return Opened(csv_path=target, sha256=actual)


def ask_expected(ui: Console) -> str:
    for _ in range(3):
        answer = ui.ask(
            "職員用画面の「CSV」の SHA-256 を貼り付けてください / "
            "Paste the CSV SHA-256 from the staff page: "
        )
        if not answer.strip():
            break
        value = normalise_sha256(answer)
        if value:
            return value
        ui.tell(
            "SHA-256 は 16 進数 64 文字です。もう一度どうぞ。 / "
            "A SHA-256 is 64 hexadecimal characters; try again.",
            problem=True,
        )
    raise OpenerError(
        STOPPED,
        "SHA-256 が入力されなかったので、開きませんでした。",
        "No SHA-256 was given, so the batch was not opened.",
    )


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="kenshin_open",
        description="Open a kenshin batch (.p7m) and check its SHA-256 / バッチを開いて確認する",
    )
    parser.add_argument("batch", nargs="?", type=Path, help="the .p7m file (or drop it here)")
    parser.add_argument("--expect", help="the CSV SHA-256 shown on the staff exports page")
    parser.add_argument("--key", type=Path, help=f"private key (PEM); default from {ENV_KEY}")
    parser.add_argument("--cert", type=Path, help=f"certificate; default from {ENV_CERT}")
    parser.add_argument("--out", type=Path, help="where to write the CSV (default: NAME.csv)")
    parser.add_argument("--force", action="store_true", help="overwrite an existing CSV")
    parser.add_argument("--no-gui", action="store_true", help="never open dialogs")
    return parser.parse_args(argv)


def _dialogs_or_none() -> Dialogs | None:
    try:
        return Dialogs()
    except Exception:  # noqa: BLE001 - no tkinter, no display (TclError): use the console
        return None


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    ui: Console = Console()
    batch: Path | None = arguments.batch
    if batch is None and not arguments.no_gui:
        dialogs = _dialogs_or_none()
        if dialogs is not None:
            ui = dialogs
            batch = dialogs.choose_batch()
    try:
        if batch is None:
            raise OpenerError(
                STOPPED,
                "バッチファイルが選ばれませんでした。",
                "No batch file was chosen (give the .p7m file as the argument).",
            )
        settings = read_settings()
        expected = arguments.expect and normalise_sha256(arguments.expect)
        if arguments.expect and not expected:
            raise OpenerError(
                MISSING,
                "--expect の値が SHA-256（16 進数 64 文字）ではありません。",
                "--expect is not a SHA-256 (64 hexadecimal characters).",
            )
        opened = open_batch(
            batch,
            certificate_path=arguments.cert or settings["cert"],
            key_path=arguments.key or settings["key"],
            expected=expected or ask_expected(ui),
            ui=ui,
            out=arguments.out,
            overwrite=arguments.force,
        )
    except OpenerError as refusal:
        ui.tell(f"失敗 / FAILED\n{refusal.japanese}\n{refusal.english}", problem=True)
        return refusal.code
    except KeyboardInterrupt:
        ui.tell("中止しました / Stopped.", problem=True)
        return STOPPED
    ui.tell(
        "OK: SHA-256 が一致しました。CSV を保存しました。\n"
        f"SHA-256 matched; the CSV was saved.\n  {opened.csv_path}\n  SHA-256 {opened.sha256}"
    )
    return OK


if __name__ == "__main__":
    code = main()
    if os.name == "nt" and sys.stdin.isatty() and len(sys.argv) > 1:
        # Dropped onto the script: keep the console window open long enough to read it.
        input("Enter キーで閉じます / Press Enter to close.")
    sys.exit(code)

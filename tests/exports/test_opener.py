"""tools/opener: the health centre's key recipe, and kenshin_open.py against `openssl`.

The key pair is made by running the very commands docs/exports.md shows (section 1, the
block after the "key recipe" marker), with the passphrases given on the command line
instead of typed. The PowerShell opener cannot run here (no PowerShell): only its
presence and what it relies on are checked; docs/exports.md says so.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shlex
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, ObjectIdentifier

from exports import crypto, services
from reservations.models import Slot
from tests.exports.conftest import OPENSSL, KeyPair, book, make_key_pair, openssl_decrypt

ROOT = Path(__file__).resolve().parents[2]
OPENER = ROOT / "tools" / "opener" / "kenshin_open.py"
DOCS = ROOT / "docs" / "exports.md"
PASSPHRASE = "correct horse battery staple"
PFX_PASSWORD = "pfx password"
DOCUMENT_ENCRYPTION = ObjectIdentifier("1.3.6.1.4.1.311.80.1")
CSV = "予約番号,氏名\r\n1,山田 花子\r\n".encode("cp932")

# What the docs' interactive prompts would ask, given on the command line instead.
NON_INTERACTIVE = {
    "genpkey": ["-pass", f"pass:{PASSPHRASE}"],
    "req": ["-passin", f"pass:{PASSPHRASE}"],
    "pkcs12": ["-passin", f"pass:{PASSPHRASE}", "-passout", f"pass:{PFX_PASSWORD}"],
}


def documented_recipe() -> list[list[str]]:
    """The openssl commands of docs/exports.md's key recipe, one argument list each."""
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(r"<!-- key recipe:.*?-->\s*```sh\n(.*?)```", text, re.DOTALL)
    assert block, "docs/exports.md lost its key recipe marker"
    joined = block.group(1).replace("\\\n", " ")
    return [shlex.split(line) for line in joined.splitlines() if line.startswith("openssl ")]


@pytest.fixture(scope="module")
def recipe_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hc.key, hc.crt and hc.pfx, made exactly as the docs tell the health centre."""
    if OPENSSL is None:
        pytest.fail("the openssl binary is needed (apt-get install openssl)")
    directory = tmp_path_factory.mktemp("recipe")
    commands = documented_recipe()
    assert [command[1] for command in commands] == ["genpkey", "req", "x509", "pkcs12"]
    for command in commands:
        extra = NON_INTERACTIVE.get(command[1], [])
        subprocess.run(
            [OPENSSL, *command[1:], *extra], cwd=directory, check=True, capture_output=True
        )
    return directory


@pytest.fixture(scope="module")
def health_centre_keys(recipe_dir: Path) -> KeyPair:
    """Overrides conftest's: the export tests here encrypt to the recipe's certificate."""
    return KeyPair(cert=recipe_dir / "hc.crt", key=recipe_dir / "hc.key")


def run_opener(
    *arguments: str | Path, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("KENSHIN_OPEN")
    }
    return subprocess.run(
        [sys.executable, str(OPENER), "--no-gui", *map(str, arguments)],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**environment, "PYTHONIOENCODING": "utf-8"},
        cwd=cwd,
        timeout=60,
    )


def keys_args(keys: KeyPair) -> list[str | Path]:
    return ["--key", keys.key, "--cert", keys.cert]


def write_batch(directory: Path, keys: KeyPair, plaintext: bytes = CSV) -> Path:
    """A batch encrypted by the export's own code (crypto.load_recipient + crypto.encrypt)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "kenshin-batch-7-delta-20260602-0000.p7m"
    path.write_bytes(crypto.encrypt(plaintext, crypto.load_recipient(str(keys.cert))))
    return path


def assert_refused(
    result: subprocess.CompletedProcess[str], code: int, batch: Path, *phrases: str
) -> None:
    """Refused with `code`, saying `phrases` in plain words, and no CSV left behind."""
    assert result.returncode == code, result.stderr
    for phrase in phrases:
        assert phrase in result.stderr
    assert "Traceback" not in result.stderr
    assert not batch.with_suffix(".csv").exists()


def open_with_passphrase(
    batch: Path, keys: KeyPair, expect: str
) -> subprocess.CompletedProcess[str]:
    """kenshin_open.py on `batch` with the recipe's key, its passphrase typed once."""
    return run_opener(batch, *keys_args(keys), "--expect", expect, stdin=PASSPHRASE + "\n")


def test_documented_certificate_has_the_usages_windows_needs(recipe_dir: Path) -> None:
    certificate = x509.load_pem_x509_certificate((recipe_dir / "hc.crt").read_bytes())
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_encipherment and usage.value.data_encipherment
    assert not usage.value.digital_signature
    extended = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(extended) == [DOCUMENT_ENCRYPTION]
    assert ExtendedKeyUsageOID.CLIENT_AUTH not in extended
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey) and public_key.key_size == 3072


def test_documented_pfx_holds_the_key_and_certificate(recipe_dir: Path) -> None:
    key, certificate, _ = pkcs12.load_key_and_certificates(
        (recipe_dir / "hc.pfx").read_bytes(), PFX_PASSWORD.encode()
    )
    assert certificate is not None and key is not None
    assert certificate == x509.load_pem_x509_certificate((recipe_dir / "hc.crt").read_bytes())
    assert key.public_key() == certificate.public_key()


def test_documented_key_is_passphrase_protected(recipe_dir: Path) -> None:
    assert b"ENCRYPTED PRIVATE KEY" in (recipe_dir / "hc.key").read_bytes()


def test_export_accepts_the_document_encryption_certificate(recipe_dir: Path) -> None:
    recipient = crypto.load_recipient(str(recipe_dir / "hc.crt"))
    assert len(recipient.fingerprint) == 64


@pytest.mark.django_db
def test_opener_opens_a_real_export_batch_like_openssl(
    export_settings: object,
    health_centre_keys: KeyPair,
    export_storage_dir: Path,
    tmp_path: Path,
    clock: datetime,
    lung_slots: list[Slot],
) -> None:
    book(lung_slots[:1], at=clock)
    batch = services.batch_create_delta(cutoff=clock + timedelta(minutes=5)).batch
    assert batch is not None
    batch_file = tmp_path / "download" / batch.download_filename
    batch_file.parent.mkdir()
    batch_file.write_bytes((export_storage_dir / batch.stored_name).read_bytes())

    result = run_opener(
        batch_file,
        *keys_args(health_centre_keys),
        "--expect",
        batch.plaintext_sha256,
        stdin=PASSPHRASE + "\n",
    )

    assert result.returncode == 0, result.stderr
    opened = batch_file.with_suffix(".csv").read_bytes()
    assert opened == openssl_decrypt_with_passphrase(batch_file, health_centre_keys, tmp_path)
    assert hashlib.sha256(opened).hexdigest() == batch.plaintext_sha256
    assert batch.plaintext_sha256 in result.stdout
    assert "一致しました" in result.stdout and "matched" in result.stdout


def openssl_decrypt_with_passphrase(path: Path, keys: KeyPair, out_dir: Path) -> bytes:
    """conftest's openssl_decrypt, for a key with a passphrase (no prompt in a test)."""
    plain_key = out_dir / "plain.key"
    assert OPENSSL is not None
    subprocess.run(
        [OPENSSL, "pkey", "-in", keys.key, "-passin", f"pass:{PASSPHRASE}", "-out", plain_key],
        check=True,
        capture_output=True,
    )
    return openssl_decrypt(path, KeyPair(cert=keys.cert, key=plain_key), out_dir)


def test_pasted_value_from_the_staff_page_is_accepted(
    health_centre_keys: KeyPair, tmp_path: Path
) -> None:
    batch = write_batch(tmp_path, health_centre_keys)
    pasted = "  SHA-256: " + hashlib.sha256(CSV).hexdigest().upper() + "  "

    result = run_opener(batch, *keys_args(health_centre_keys), stdin=f"{pasted}\n{PASSPHRASE}\n")

    assert result.returncode == 0, result.stderr
    assert batch.with_suffix(".csv").read_bytes() == CSV


def test_unprotected_key_found_through_the_environment(tmp_path: Path) -> None:
    """With no --key/--cert, KENSHIN_OPEN_KEY/KENSHIN_OPEN_CERT name the files."""
    keys = make_key_pair(tmp_path / "keys")
    batch = write_batch(tmp_path / "in", keys)
    environment_result = subprocess.run(
        [
            sys.executable,
            str(OPENER),
            "--no-gui",
            str(batch),
            "--expect",
            hashlib.sha256(CSV).hexdigest(),
        ],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "KENSHIN_OPEN_KEY": str(keys.key), "KENSHIN_OPEN_CERT": str(keys.cert)},
        timeout=60,
    )
    assert environment_result.returncode == 0, environment_result.stderr
    assert batch.with_suffix(".csv").read_bytes() == CSV


def test_ini_next_to_the_script_names_key_and_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KENSHIN_OPEN_KEY", raising=False)
    monkeypatch.delenv("KENSHIN_OPEN_CERT", raising=False)
    opener = load_opener_module()
    assert opener.read_settings(tmp_path) == {
        "key": tmp_path / "hc.key",
        "cert": tmp_path / "hc.crt",
    }
    (tmp_path / "kenshin_open.ini").write_text(
        "[kenshin_open]\nkey = keys/hc.key\ncert = keys/hc.crt\n", encoding="utf-8"
    )
    assert opener.read_settings(tmp_path) == {
        "key": (tmp_path / "keys" / "hc.key").resolve(),
        "cert": (tmp_path / "keys" / "hc.crt").resolve(),
    }


def load_opener_module() -> ModuleType:
    """tools/opener is not a package (staff copy one file): load it by path."""
    spec = importlib.util.spec_from_file_location("kenshin_open", OPENER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_mismatched_sha256_exits_4_and_writes_nothing(
    health_centre_keys: KeyPair, tmp_path: Path
) -> None:
    batch = write_batch(tmp_path, health_centre_keys)

    result = open_with_passphrase(batch, health_centre_keys, "0" * 64)

    assert_refused(result, 4, batch, "SHA-256 が一致しません", "does not match")


def test_file_hash_pasted_instead_of_csv_hash_is_explained(
    health_centre_keys: KeyPair, tmp_path: Path
) -> None:
    batch = write_batch(tmp_path, health_centre_keys)
    file_hash = hashlib.sha256(batch.read_bytes()).hexdigest()

    result = open_with_passphrase(batch, health_centre_keys, file_hash)

    assert_refused(result, 4, batch, "「CSV」")


def test_batch_for_another_certificate_is_refused_with_exit_2(
    health_centre_keys: KeyPair, tmp_path: Path
) -> None:
    other = make_key_pair(tmp_path / "other", name="other")
    batch = write_batch(tmp_path, health_centre_keys)

    result = run_opener(batch, *keys_args(other), "--expect", hashlib.sha256(CSV).hexdigest())

    assert_refused(result, 2, batch, "別の証明書", "another certificate")


def test_key_that_does_not_match_the_certificate_is_refused(
    health_centre_keys: KeyPair, tmp_path: Path
) -> None:
    other = make_key_pair(tmp_path / "other", name="other")
    batch = write_batch(tmp_path, health_centre_keys)

    result = run_opener(
        batch, "--key", other.key, "--cert", health_centre_keys.cert, "--expect", "0" * 64
    )

    assert_refused(result, 2, batch, "対になっていません", "does not belong")


def test_wrong_passphrase_is_refused_with_exit_2(
    health_centre_keys: KeyPair, tmp_path: Path
) -> None:
    batch = write_batch(tmp_path, health_centre_keys)

    result = run_opener(
        batch,
        *keys_args(health_centre_keys),
        "--expect",
        hashlib.sha256(CSV).hexdigest(),
        stdin="wrong\nwrong again\nstill wrong\n",
    )

    assert_refused(result, 2, batch, "パスフレーズが違います", "Wrong passphrase")


@pytest.mark.parametrize(
    "damage", ["flip_in_ciphertext", "flip_in_wrapped_key", "truncate", "not_a_batch"]
)
def test_tampered_batch_is_refused(
    damage: str, health_centre_keys: KeyPair, tmp_path: Path
) -> None:
    batch = write_batch(tmp_path, health_centre_keys, plaintext=CSV * 40)
    data = bytearray(batch.read_bytes())
    if damage == "truncate":
        data = data[:-30]
    elif damage == "not_a_batch":
        data = bytearray(CSV)
    else:
        # The wrapped AES key sits early in the envelope, the CSV's ciphertext at its end.
        data[300 if damage == "flip_in_wrapped_key" else len(data) - 40] ^= 0x01
    batch.write_bytes(bytes(data))

    result = open_with_passphrase(batch, health_centre_keys, hashlib.sha256(CSV * 40).hexdigest())

    if damage in ("truncate", "not_a_batch"):
        assert_refused(result, 3, batch, "壊れています", "damaged")
    else:
        # A flipped ciphertext bit may still decrypt (to other bytes): the SHA-256 catches it.
        assert result.returncode in (3, 4)
        assert_refused(result, result.returncode, batch)
        assert "壊れています" in result.stderr or "一致しません" in result.stderr


def test_existing_csv_is_not_overwritten_without_confirmation(
    health_centre_keys: KeyPair, tmp_path: Path
) -> None:
    batch = write_batch(tmp_path, health_centre_keys)
    existing = batch.with_suffix(".csv")
    existing.write_bytes(b"keep me")
    expected = hashlib.sha256(CSV).hexdigest()

    refused = run_opener(
        batch, *keys_args(health_centre_keys), "--expect", expected, stdin=f"{PASSPHRASE}\nn\n"
    )
    assert refused.returncode == 5
    assert existing.read_bytes() == b"keep me"

    confirmed = run_opener(
        batch, *keys_args(health_centre_keys), "--expect", expected, stdin=f"{PASSPHRASE}\ny\n"
    )
    assert confirmed.returncode == 0, confirmed.stderr
    assert existing.read_bytes() == CSV


def test_missing_key_file_is_explained(health_centre_keys: KeyPair, tmp_path: Path) -> None:
    batch = write_batch(tmp_path, health_centre_keys)

    result = run_opener(
        batch,
        "--key",
        tmp_path / "nowhere.key",
        "--cert",
        health_centre_keys.cert,
        "--expect",
        "0" * 64,
    )

    assert_refused(result, 1, batch, "鍵ファイルを読めません", "Cannot read the key file")


def test_powershell_opener_is_byte_exact_by_construction() -> None:
    """Not executed here (no PowerShell): check it uses EnvelopedCms and Get-FileHash."""
    script = (ROOT / "tools" / "opener" / "open-batch.ps1").read_bytes()
    assert script.startswith(b"\xef\xbb\xbf"), "Windows PowerShell 5.1 needs the BOM"
    text = script.decode("utf-8-sig")
    for needle in (
        "EnvelopedCms",
        ".Decode(",
        ".Decrypt(",
        "Get-FileHash",
        "Cert:\\CurrentUser\\My",
    ):
        assert needle in text
    wrapper = (ROOT / "tools" / "opener" / "open-batch.cmd").read_text(encoding="ascii")
    assert "-ExecutionPolicy Bypass" in wrapper and "open-batch.ps1" in wrapper


def test_readme_shows_the_same_certificate_command_as_the_docs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(\s*openssl genpkey.*?)```", readme, re.DOTALL)
    assert block, "README.md lost its key recipe"
    lines = block.group(1).replace("\\\n", " ").splitlines()
    readme_commands = [shlex.split(line) for line in lines if line.strip().startswith("openssl")]
    assert readme_commands == documented_recipe()[:2]

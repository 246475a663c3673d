"""deploy/: the compose file parses and names only images and commands that exist, every
systemd unit starts a real management command (with options it accepts), and the timers
keep the scheduler's times. (No Docker engine or systemd runs here: deploy/README.md says
what was not run.)"""

import configparser
import re
import shlex
from pathlib import Path

import yaml
from django.core.management import get_commands, load_command_class

from ops import schedule

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
REPO = DEPLOY.parent
# Official images, each pinned to a major version and Debian release.
KNOWN_IMAGES = {"postgres:16-bookworm", "redis:7-bookworm", "nginx:1.27-bookworm"}
OPTIONAL_COMMANDS = {job.command[0] for job in schedule.JOBS if job.optional}


def compose():
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def assert_manage_py_call(argv):
    """`… manage.py COMMAND ARGS`: COMMAND exists and its parser accepts ARGS."""
    index = next(i for i, arg in enumerate(argv) if arg.endswith("manage.py"))
    name, args = argv[index + 1], argv[index + 2 :]
    commands = get_commands()
    if name in OPTIONAL_COMMANDS and name not in commands:
        return  # belongs to an app not installed in this tree (ops.schedule: optional)
    assert name in commands, f"no management command {name!r}"
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    parser.parse_args(args)  # SystemExit (a failure) on an unknown option


def shell_commands(argv):
    """The commands inside `sh -c "a && b"`, or argv itself."""
    if argv[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in re.split(r"&&|;", argv[2])]
    return [argv]


def test_compose_has_the_whole_system():
    services = compose()["services"]
    assert {"db", "redis", "proxy", "app1", "app2", "worker", "scheduler", "migrate"} <= set(
        services
    )


def test_compose_names_only_known_images_and_the_app_image_it_builds():
    for name, service in compose()["services"].items():
        image = service.get("image")
        if image == "kenshin:latest":
            assert service["build"]["dockerfile"] == "Dockerfile", name
            assert (REPO / "Dockerfile").exists()
        else:
            assert image in KNOWN_IMAGES, (name, image)


def test_compose_commands_exist():
    checked = 0
    for name, service in compose()["services"].items():
        command = service.get("command")
        if not command:
            continue
        for argv in shell_commands(command):
            if argv[0] == "exec":
                argv = argv[1:]
            if any(arg.endswith("manage.py") for arg in argv):
                assert_manage_py_call(argv)
                checked += 1
            elif argv[0] == "gunicorn":
                assert argv[1] == "config.wsgi:application"
                import config.wsgi  # noqa: F401 - the module gunicorn loads

                checked += 1
            else:
                assert argv[0] in {"rm", "mkdir", "exec", "redis-server"}, (name, argv)
    assert checked >= 7


def test_compose_secrets_come_from_the_uncommitted_env_file():
    text = (DEPLOY / "compose.yaml").read_text()
    variables = set(re.findall(r"\$\{(\w+)\}", text))
    example = (DEPLOY / "kenshin.env.example").read_text()
    for variable in variables:
        assert re.search(rf"^{variable}=", example, re.M), variable
    assert "kenshin.env" in (DEPLOY / ".gitignore").read_text().split()
    for service in ("app1", "app2", "worker", "scheduler", "migrate"):
        assert compose()["services"][service]["env_file"] == "kenshin.env"
    # No secret written into the file itself.
    assert not re.search(r"(PASSWORD|SECRET_KEY|HMAC_KEY|TOKEN):\s*[^$\s]", text)


def test_the_app_runs_as_the_runtime_role_and_migrate_as_the_owner():
    services = compose()["services"]
    for name in ("app1", "app2", "worker", "scheduler"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgres://kenshin_app:")
    assert services["migrate"]["environment"]["DATABASE_URL"].startswith(
        "postgres://kenshin_owner:"
    )
    init = (DEPLOY / "postgres-init" / "10-kenshin-roles.sh").read_text()
    assert "NOSUPERUSER" in init and "CREATE DATABASE kenshin OWNER kenshin_owner" in init


def test_nginx_forwards_the_client_serves_static_and_micro_caches_by_cache_control():
    conf = (DEPLOY / "nginx" / "kenshin.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "ssl_certificate " in conf and "listen 443 ssl" in conf
    assert "alias /srv/static/;" in conf
    assert "proxy_cache kenshin_micro;" in conf
    # Lifetimes come from the app's headers: no blanket proxy_cache_valid, no ignored headers.
    directives = [line.strip() for line in conf.splitlines() if not line.strip().startswith("#")]
    assert not any(d.startswith(("proxy_cache_valid", "proxy_ignore_headers")) for d in directives)
    assert compose()["services"]["app1"]["environment"]["TRUSTED_PROXY_COUNT"] == "1"


def units():
    return sorted((DEPLOY / "systemd").glob("*.service"))


def unit(path):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    # Repeated keys (two ExecStart= lines) are allowed in systemd: keep the last one each.
    parser.read_string(path.read_text())
    return parser


def test_every_unit_uses_the_one_environment_file_and_starts_a_real_command():
    assert len(units()) >= 8
    for path in units():
        service = unit(path)["Service"]
        assert service["EnvironmentFile"] == "/etc/kenshin/kenshin.env", path.name
        assert service["User"] == "kenshin", path.name
        for line in path.read_text().splitlines():
            if not line.startswith(("ExecStart=", "ExecStartPost=")):
                continue
            argv = shlex.split(line.split("=", 1)[1])
            if argv[:2] == ["/bin/sh", "-c"]:
                argv = shlex.split(argv[2].split("exec ", 1)[1])
            if any(arg.endswith("manage.py") for arg in argv):
                assert argv[0] == "/srv/kenshin/.venv/bin/python", path.name
                assert_manage_py_call(argv)
            elif argv[0].endswith("gunicorn"):
                assert "config.wsgi:application" in argv
            elif argv[0] == "/bin/mkdir":
                continue
            else:
                script = argv[0].removeprefix("/srv/kenshin/")
                assert (REPO / script).exists(), (path.name, argv[0])


def test_every_scheduled_job_has_a_timer_at_the_same_time():
    for job in schedule.JOBS:
        timer = DEPLOY / "systemd" / f"kenshin-{job.name}.timer"
        service = DEPLOY / "systemd" / f"kenshin-{job.name}.service"
        assert service.exists() and timer.exists(), job.name
        assert " ".join(job.command) in service.read_text(), job.name
        calendar = unit(timer)["Timer"]["OnCalendar"]
        if job.at is not None:
            assert calendar == f"*-*-* {job.at:%H:%M}:00 Asia/Tokyo", job.name
        else:
            assert calendar == f"*:0/{int(job.every.total_seconds() // 60)}", job.name

"""Configuration order: defaults, then instance/config.py, then PORTAL_* environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal import create_app
from portal.config import ConfigError


def _app(monkeypatch, tmp_path: Path, env: dict[str, str], instance_config: str = ""):
    """An app whose instance folder is a temp dir (so no file of the checkout is touched)."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    if instance_config:
        (instance / "config.py").write_text(instance_config)
    monkeypatch.setattr("portal.Flask", _flask_with_instance(instance))
    return create_app()


def _flask_with_instance(instance: Path):
    from flask import Flask

    class InstanceFlask(Flask):
        def __init__(self, name: str, **kwargs):
            kwargs["instance_path"] = str(instance)
            super().__init__(name, **kwargs)

    return InstanceFlask


def test_defaults_use_sqlite_in_instance_and_make_a_dev_key(monkeypatch, tmp_path):
    app = _app(monkeypatch, tmp_path, {})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        f"sqlite:///{tmp_path / 'instance' / 'portal.sqlite'}"
    )
    key_file = tmp_path / "instance" / "secret_key"
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["SESSION_COOKIE_SECURE"] is False
    # the same key on the next start: development sessions survive a restart
    assert _app(monkeypatch, tmp_path, {}).config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_instance_file_then_environment_wins(monkeypatch, tmp_path):
    app = _app(
        monkeypatch,
        tmp_path,
        {"PORTAL_DATABASE_URL": "sqlite:///from-env.sqlite", "PORTAL_REGISTER_NAME": "DTKS"},
        instance_config=(
            "SQLALCHEMY_DATABASE_URI = 'sqlite:///from-file.sqlite'\n"
            "REGISTER_NAME = 'DARI-BERKAS'\nPASSWORD_MIN_LENGTH = 12\n"
        ),
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///from-env.sqlite"
    assert app.config["REGISTER_NAME"] == "DTKS"
    assert app.config["PASSWORD_MIN_LENGTH"] == 12  # from the file, not overridden


def test_redis_url_moves_rate_limits_to_redis(monkeypatch, tmp_path):
    app = _app(monkeypatch, tmp_path, {"PORTAL_REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_https_makes_cookies_secure(monkeypatch, tmp_path):
    app = _app(monkeypatch, tmp_path, {"PORTAL_HTTPS": "true"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_production_without_secret_key_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY"):
        _app(monkeypatch, tmp_path, {"PORTAL_ENV": "production"})
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_production_with_secret_key_starts(monkeypatch, tmp_path):
    env = {
        "PORTAL_ENV": "production",
        "PORTAL_SECRET_KEY": "k" * 64,
        "PORTAL_PUBLIC_BASE_URL": "https://musyawarah.example.go.id",
    }
    app = _app(monkeypatch, tmp_path, env)
    assert app.config["SECRET_KEY"] == "k" * 64

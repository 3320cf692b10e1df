"""What every command shares: the error console and applying migrations."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from app.settings import Settings

console = Console(stderr=True)


def migrate(settings: Settings) -> None:
    from alembic import command
    from alembic.config import Config

    root = Path(__file__).resolve().parents[2]
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    config.set_main_option("sqlalchemy.url", settings.database_url.replace("%", "%%"))
    command.upgrade(config, "head")

"""The `vrtrainer` command line: one file per command group, registered here."""

from __future__ import annotations

import os
import sys

# Before PyOpenGL is imported anywhere: GL goes through EGL (offscreen contexts and
# OpenXR's EGL path). The numba cache is chosen by the vrtrainer package itself.
if sys.platform.startswith("linux"):
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
# The OpenXR loader prints its own diagnostics to stderr before vrtrainer can explain the
# problem in one line; XR_LOADER_DEBUG=error (or all) brings them back for debugging.
os.environ.setdefault("XR_LOADER_DEBUG", "none")

from typing import Annotated  # noqa: E402

import typer  # noqa: E402

try:  # typer >= 0.2x carries its own click
    from typer._click import exceptions as click  # noqa: E402
except ImportError:  # pragma: no cover - older typer depends on click itself
    from click import exceptions as click  # type: ignore[no-redef]  # noqa: E402

from vrtrainer.errors import VrtrainerError  # noqa: E402
from vrtrainer.extras import missing_extra  # noqa: E402

app = typer.Typer(
    name="vrtrainer",
    help="VR gesture training: simulate, record, score and report hand gestures.",
    epilog="Example: vrtrainer demo   (a headless training attempt, then its report)",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        from vrtrainer import __version__

        typer.echo(f"vrtrainer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """VR gesture training: simulate, record, score and report hand gestures."""


def _register() -> None:
    """Each module of this package that defines ``register(app)`` adds its commands."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if callable(register):
            register(app)
    from vrtrainer.cli.helptext import attach_examples

    attach_examples(app)


_register()


def _command_path(command, argv: list[str]) -> str:
    """``vrtrainer reference build`` from the words of ``argv`` that name (sub)commands."""
    words = ["vrtrainer"]
    for word in argv:
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            break
        words.append(word)
        command = sub
    return " ".join(words)


def _usage_error(exc: click.UsageError, command, argv: list[str]) -> str:
    """One line saying what is wrong, and one saying where to look."""
    where = _command_path(command, argv)
    message = exc.message if isinstance(exc, click.NoSuchOption) else exc.format_message()
    message = (message[:1].lower() + message[1:]).rstrip(".")
    if isinstance(exc, click.NoSuchOption) and exc.possibilities:
        message += " (did you mean " + " or ".join(sorted(exc.possibilities)) + "?)"
    return f"error: {message}\n  see: {where} --help"


_NOTICE: list = []


def _cold_start_notice():
    """The process's one cold-start listener (numba compiling: say so, with progress)."""
    if not _NOTICE:
        from vrtrainer.cli.coldstart import install

        _NOTICE.append(install())
    return _NOTICE[0]


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (see :func:`_main`)."""
    try:
        return _main(argv)
    finally:
        if _NOTICE and _NOTICE[0] is not None:
            _NOTICE[0].finish()


def _main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    Project errors, refused usage and file-system refusals become one ``error:`` line on
    stderr (exit 2), never a traceback.
    """
    import warnings

    from vrtrainer.cli.helptext import plain_placeholders

    if not sys.warnoptions:  # numeric warnings are for developers, not for trainers
        warnings.simplefilter("ignore", RuntimeWarning)
    command = typer.main.get_command(app)
    plain_placeholders(command)
    _cold_start_notice()
    try:
        code = command.main(args=argv, prog_name="vrtrainer", standalone_mode=False)
    except click.NoArgsIsHelpError as exc:  # a group alone: its help is the answer
        print(exc.format_message())
        return 0
    except BrokenPipeError:  # `vrtrainer ... | head`: the reader has seen enough
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - the interpreter flushes it at exit
        return 0
    except click.UsageError as exc:
        print(_usage_error(exc, command, argv if argv is not None else sys.argv[1:]),
              file=sys.stderr)
        return 2
    except click.ClickException as exc:
        print(f"error: {exc.format_message()}", file=sys.stderr)
        return 2
    except (typer.Abort, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return 130
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except VrtrainerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ImportError as exc:  # an optional extra not installed (vrtrainer.extras)
        message = missing_extra(exc, _command_path(command, argv if argv is not None
                                                   else sys.argv[1:]))
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path the user gave that the system refused
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    return code if isinstance(code, int) else 0

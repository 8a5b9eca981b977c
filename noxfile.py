"""Developer sessions: the same commands CI and contributors run."""

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]


@nox.session
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", "chatmigrate", "tests", "benchmarks", "noxfile.py")
    session.run("ruff", "format", "--check", "chatmigrate", "tests", "benchmarks", "noxfile.py")


@nox.session
def typecheck(session: nox.Session) -> None:
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    for script in ("compare", "contracts", "replay", "report", "server", "shadow", "audit"):
        session.run("python", f"benchmarks/{script}.py")

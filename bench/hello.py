"""A hello-world Flask app served exactly as `vnsearch serve` serves the site (gunicorn,
the same buffering workers, the same default worker count): the ceiling of the stack,
which ``bench/http.py`` measures in the same run and compares ``/api/search`` with.

    .venv/bin/python -m bench.hello --port 8123
"""

from __future__ import annotations

import argparse

from flask import Flask

from webapp.serve import gunicorn_server, gunicorn_options


def hello_app() -> Flask:
    app = Flask("hello")

    @app.get("/")
    def hello() -> dict:
        return {"hello": "world"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    options = gunicorn_options(args.host, args.port, None)
    gunicorn_server(hello_app, {**options, "proc_name": "vnsearch-hello"}).run()


if __name__ == "__main__":
    main()

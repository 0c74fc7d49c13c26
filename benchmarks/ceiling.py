"""The framework's ceiling: a bare FastAPI app on the server settings `python -m app` uses.

    python benchmarks/ceiling.py --port 8100

GET /hello answers {"hello": "world"}; POST /parse reads {message, signature} into a pydantic model and returns
it. benchmarks/load.py loads both beside web3-auth in the same run: web3-auth's requests/s divided by
GET /hello's is "the ratio to the ceiling". The uvicorn call mirrors app/__main__.py's run_uvicorn(): one worker,
uvloop and httptools, no access log, no server header, no logging config, same default host.
"""

import argparse

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel


class SignedMessage(BaseModel):
    message: str
    signature: str


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    @app.post("/parse")
    async def parse(body: SignedMessage) -> SignedMessage:
        return body

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="default: AUTH_HOST's default")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve(create_app(), host=args.host, port=args.port)


def serve(app: FastAPI, *, host: str, port: int) -> None:
    """Serve `app` as `python -m app` serves: the benchmark's other Python servers (the naive peer) too."""
    uvicorn.run(
        app,
        host=host,
        port=port,
        workers=1,
        loop="uvloop",
        http="httptools",
        proxy_headers=False,
        server_header=False,
        log_config=None,
        access_log=False,
    )


if __name__ == "__main__":
    main()

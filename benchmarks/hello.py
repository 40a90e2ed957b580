"""The hello-world Flask app ``benchmarks/load.py`` measures the real app against."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"

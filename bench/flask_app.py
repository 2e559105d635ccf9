# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Benchmark workload: a small Flask service. / builds a dict of strings
(16 B to about 1 KiB) and returns it as JSON, as an API endpoint would; no
leak. Served by gunicorn: gunicorn --chdir bench flask_app:app"""
from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/")
def index():
    items = {"item%d" % i: "x" * (16 + i * 37 % 1000) for i in range(40)}
    return jsonify(count=len(items), items=items)

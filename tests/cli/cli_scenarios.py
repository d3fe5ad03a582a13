"""Scenario texts the command-line tests share."""

#: A small valid scenario on pandapower's case9 (three loads, buses 4..8).
GOOD = """\
title = "case9 test"
network = "case9"
seed = 1

[[waves]]
targets = ["bus:4"]

[repair]
crews = 1
horizon_h = 24

[schedule]
groups = 3
days = 1
"""

"""Presentation: plots (matplotlib) and the self-contained HTML report.

Imported on first use (``custvalue.plots`` / ``custvalue.present.plots``): it pulls in
matplotlib.
"""

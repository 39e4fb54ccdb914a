"""Scoring forecasts against actuals: shared by the retraining backtest and the evaluation.

Plain Python. Both ``training`` and ``evaluation`` score forecasts on the same cells with the same
metrics, so these modules are their common, public ground (neither imports the other's internals):

    truth.py     the ground truth of a generated shop (true demand, the oracle's NB quantiles)
    segments.py  the scored cells (SKU x origin x horizon day), their actuals and segments;
                 SegmentConfig, the numbers that assign them
    accuracy.py  WQL / WAPE / coverage / bias per method x segment and horizon, the gap closed,
                 BacktestResult
"""

"""Writes scikit-learn's bundled wine, breast-cancer and diabetes data sets as CSV, split 80/20
(seeded, stratified for the classifications), and prints the reference figures of scikit-learn's
own MLP on the same split (standardised features, as its docs advise). Run with a Python that has
scikit-learn: /usr/bin/python3 data/make_sklearn.py"""
import csv
from sklearn import datasets
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.metrics import mean_squared_error
import numpy as np


def write(path, names, x, y):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(list(names) + ["target"])
        for row, t in zip(x, y):
            w.writerow([repr(float(v)) for v in row] + [t if isinstance(t, str) else repr(t)])


for name, load, kind in [("wine", datasets.load_wine, "c"), ("breast_cancer", datasets.load_breast_cancer, "c"),
                         ("diabetes", datasets.load_diabetes, "r")]:
    d = load(scaled=False) if name == "diabetes" else load()
    x, y = d.data, d.target
    strat = y if kind == "c" else None
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=0, stratify=strat)
    names = [n.replace(" ", "_") for n in d.feature_names]
    conv = (lambda t: str(int(t))) if kind == "c" else float
    write(f"data/{name}_train.csv", names, xtr, [conv(t) for t in ytr])
    write(f"data/{name}_test.csv", names, xte, [conv(t) for t in yte])
    if kind == "c":
        accs = [make_pipeline(StandardScaler(), MLPClassifier(max_iter=2000, random_state=s)).fit(xtr, ytr).score(xte, yte) for s in range(5)]
        print(name, "MLPClassifier accuracy, 5 seeds:", np.round(accs, 4), "mean", round(float(np.mean(accs)), 4))
    else:
        mse = [mean_squared_error(yte, make_pipeline(StandardScaler(), MLPRegressor(max_iter=5000, random_state=s)).fit(xtr, ytr).predict(xte)) for s in range(3)]
        print(name, "MLPRegressor MSE:", np.round(mse, 1), "mean predictor MSE:", round(float(mean_squared_error(yte, np.full_like(yte, ytr.mean()))), 1))

"""scikit-learn's own estimator contract: parametrize_with_checks over every estimator.

Each check that is expected to fail is listed in EXPECTED_FAILED with its reason, and passed
to scikit-learn (expected_failed_checks, scikit-learn >= 1.6), which marks it xfail."""
import inspect

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

import descent

# Fast settings: the checks fit hundreds of tiny problems.
ESTIMATORS = [
    descent.LinearRegression(),
    descent.LogisticRegression(),
    descent.PolynomialRegression(degree=2),
    descent.Legendre3Regression(),
]

# The check (scikit-learn 1.9) fits 15 rows of 30 columns with integer weights (zeros among
# them) and compares predictions at rtol=1e-7. Fewer distinct rows than the 31 parameters leave
# a set of optima:
# the weighted fit and the repeated rows reach different points of it (their fitted values on
# the training rows agree to float32 rounding, ~1e-7; predictions elsewhere differ). Where
# the optimum is unique, weighted and repeated fits agree within 1e-5
# (test_sample_weights.py), not to 1e-7 in float32.
FLOAT32_WEIGHTS = ("the check's 15 x 30 problem has fewer distinct rows than parameters: "
                   "weighted and repeated fits reach different optima of the same loss "
                   "(float32 fits also differ at ~1e-7, the check's rtol)")
# LogisticRegression is multinomial for K > 2 classes (scikit-learn's multi_class tag), so the
# check draws three classes for it. With 15 rows and more columns than rows any labelling is
# linearly separable: the log-loss has no finite minimiser, each fit stops at the first
# separating parameters it reaches (ConvergenceWarning), and the two fits' separating
# parameters differ. Where the optimum is finite, the multinomial weighted fit matches
# scikit-learn's (test_softmax.py).
SEPARABLE_WEIGHTS = ("the check's 15 rows have more columns than rows, so its three classes "
                     "are linearly separable: no finite optimum, and the weighted and repeated "
                     "fits stop at different separating parameters")
# PolynomialRegression and Legendre3Regression are models of one input column by design; these
# checks fit X with 2, 3 or 10 columns, which the estimators refuse with a ValueError.
ONE_COLUMN = ("the check fits X with several columns; this model takes one input column by "
              "design and raises ValueError")
ONE_COLUMN_CHECKS = {
    "check_sample_weights_pandas_series": ONE_COLUMN,  # runs only where pandas is installed
    "check_all_zero_sample_weights_error": ONE_COLUMN,
    "check_dict_unchanged": ONE_COLUMN,
    "check_dont_overwrite_parameters": ONE_COLUMN,
    "check_dtype_object": ONE_COLUMN,
    "check_estimators_dtypes": ONE_COLUMN,
    "check_estimators_fit_returns_self": ONE_COLUMN,
    "check_estimators_nan_inf": ONE_COLUMN,
    "check_estimators_overwrite_params": ONE_COLUMN,
    "check_estimators_partial_fit_n_features": ONE_COLUMN,
    "check_estimators_pickle": ONE_COLUMN,
    "check_f_contiguous_array_estimator": ONE_COLUMN,
    "check_fit1d": '1-D X is taken as the one input column by design, so it is not refused',
    "check_fit2d_1sample": ONE_COLUMN,
    "check_fit2d_predict1d": '1-D X is taken as the one input column by design, so it is not refused',
    "check_fit_check_is_fitted": ONE_COLUMN,
    "check_fit_idempotent": ONE_COLUMN,
    "check_fit_score_takes_y": ONE_COLUMN,
    "check_methods_sample_order_invariance": ONE_COLUMN,
    "check_methods_subset_invariance": ONE_COLUMN,
    "check_n_features_in": ONE_COLUMN,
    "check_n_features_in_after_fitting": ONE_COLUMN,
    "check_pipeline_consistency": ONE_COLUMN,
    "check_positive_only_tag_during_fit": ONE_COLUMN,
    "check_readonly_memmap_input": ONE_COLUMN,
    "check_regressor_data_not_an_array": ONE_COLUMN,
    "check_regressors_int": ONE_COLUMN,
    "check_regressors_no_decision_function": ONE_COLUMN,
    "check_regressors_train": ONE_COLUMN,
    "check_requires_y_none": ONE_COLUMN,
    "check_sample_weight_equivalence_on_dense_data": "float32 iterative fit (see LinearRegression), and the check's X has several columns",
    "check_sample_weights_list": ONE_COLUMN,
    "check_sample_weights_not_an_array": ONE_COLUMN,
    "check_sample_weights_not_overwritten": ONE_COLUMN,
    "check_sample_weights_shape": ONE_COLUMN,
    "check_supervised_y_2d": ONE_COLUMN,
}

EXPECTED_FAILED = {
    "LinearRegression": {"check_sample_weight_equivalence_on_dense_data": FLOAT32_WEIGHTS},
    "LogisticRegression": {"check_sample_weight_equivalence_on_dense_data": SEPARABLE_WEIGHTS},
    "PolynomialRegression": ONE_COLUMN_CHECKS,
    "Legendre3Regression": ONE_COLUMN_CHECKS,
}


def expected_failed(est):
    return EXPECTED_FAILED[type(est).__name__]


if "expected_failed_checks" in inspect.signature(parametrize_with_checks).parameters:
    decorate = parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed)
else:  # older scikit-learn: no expected-failure mechanism; run them all
    decorate = parametrize_with_checks(ESTIMATORS)


@decorate
def test_sklearn_estimator_contract(estimator, check):
    check(estimator)

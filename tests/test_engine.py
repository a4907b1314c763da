"""The decide engine: join outcomes, reasons, ordering, child-of-ADD, actions, casting."""

from datetime import date

import polars as pl
import pytest

from onsis_batch.segments.engine import (
    ADD,
    DELETE,
    NO_ACTION,
    UPDATE,
    Decision,
    Outcome,
    SegmentRuleError,
    children_of_adds_are_adds,
    decide,
    empty,
    finish,
    match,
    plan_schema,
    settle,
    wanted_or_held,
)

KEY = ("student_id", "code")
SPED = Decision(
    key=KEY,
    new=Outcome(ADD, "T-ADD"),
    held=Outcome(UPDATE, "T-UPD"),
    gone=Outcome(DELETE, "T-DEL"),
)


def desired():
    return pl.DataFrame({"student_id": ["1", "1", "2"], "code": ["A", "B", "A"], "v": [1, 2, 3]})


def pending():
    return pl.DataFrame({"student_id": ["1", "3"], "code": ["B", "C"], "held_v": [20, 30]})


def outcomes(frame):
    return sorted(frame.select(*KEY, "_action", "_reason").iter_rows())


def test_desired_only_is_added_both_updated_pending_only_deleted():
    rows = decide(desired(), pending(), SPED)
    assert outcomes(rows) == [
        ("1", "A", ADD, "T-ADD"),
        ("1", "B", UPDATE, "T-UPD"),
        ("2", "A", ADD, "T-ADD"),
        ("3", "C", DELETE, "T-DEL"),
    ]
    held = rows.filter(pl.col("code") == "B").row(0, named=True)
    assert (held["v"], held["held_v"]) == (2, 20)  # both sides' columns on a held row


def test_an_outcome_without_rule_sends_nothing_and_a_null_reason_drops_the_row():
    adds_only = Decision(key=KEY, new=Outcome(ADD, pl.when(pl.col("v") > 1).then(pl.lit("X"))))
    assert outcomes(decide(desired(), pending(), adds_only)) == [("2", "A", ADD, "X")]


def test_a_reason_chain_of_literals_names_each_row():
    reason = pl.when(pl.col("v") == 1).then(pl.lit("T-ADD-ONE")).otherwise(pl.lit("T-ADD-MORE"))
    rows = decide(desired(), None, Decision(key=KEY, new=Outcome(ADD, reason)))
    assert [r[3] for r in outcomes(rows)] == ["T-ADD-ONE", "T-ADD-MORE", "T-ADD-MORE"]


def test_a_pending_only_row_can_be_closed_out_instead_of_deleted():
    closeout = Decision(key=KEY, gone=Outcome(UPDATE, "T-UPD-CLOSEOUT"))
    rows = decide(desired(), pending(), closeout).with_columns(
        wanted_or_held("VALUE", pl.col("v"), pl.col("held_v"))
    )
    assert outcomes(rows) == [("3", "C", UPDATE, "T-UPD-CLOSEOUT")]
    assert rows.get_column("VALUE").to_list() == [30]


def test_both_sides_carrying_a_value_column_is_refused():
    with pytest.raises(ValueError, match="both carry"):
        decide(desired(), pending().rename({"held_v": "v"}), SPED)


def test_null_keys_match_only_when_the_decision_says_so():
    left = pl.DataFrame(
        {"student_id": ["1"], "code": [None]}, schema={"student_id": pl.String, "code": pl.String}
    )
    right = left.with_columns(pl.lit(5).alias("held_v"))
    strict = Decision(
        key=KEY, new=Outcome(ADD, "N"), held=Outcome(UPDATE, "H"), gone=Outcome(DELETE, "G")
    )
    assert sorted(decide(left, right, strict).get_column("_reason")) == ["G", "N"]
    null_safe = Decision(key=KEY, held=Outcome(UPDATE, "H"), nulls_equal=True)
    assert decide(left, right, null_safe).get_column("_reason").to_list() == ["H"]


def test_the_preferred_pending_row_is_the_one_held():
    candidates = pl.DataFrame(
        {
            "student_id": ["1", "1", "1", "2"],
            "code": ["B", "B", "B", "A"],
            "held_v": [7, 2, 2, 9],
            "n": [0, 1, 2, 3],
        }
    )
    smallest = Decision(key=KEY, held=Outcome(UPDATE, "H"), prefer=(pl.col("held_v"),))
    rows = decide(desired(), candidates, smallest)
    assert rows.select("student_id", "code", "held_v", "n").rows() == [
        ("1", "B", 2, 1),
        ("2", "A", 9, 3),
    ]
    by_value = Decision(
        key=KEY, held=Outcome(UPDATE, "H"), prefer=((pl.col("held_v") - pl.col("v")).abs(),)
    )
    assert decide(desired(), candidates, by_value).get_column("held_v").to_list() == [2, 9]


def test_an_action_can_be_an_expression_and_match_then_settle_is_decide():
    action = pl.when(pl.col("v") > 2).then(pl.lit(UPDATE)).otherwise(pl.lit(ADD))
    per_row = Decision(key=KEY, new=Outcome(action, "T-NEW"))
    rows = match(desired(), pending(), per_row).with_columns((pl.col("v") * 10).alias("v"))
    assert [r[2] for r in outcomes(settle(rows, per_row))] == [UPDATE, UPDATE]
    assert outcomes(decide(desired(), pending(), per_row)) == [
        ("1", "A", ADD, "T-NEW"),
        ("2", "A", UPDATE, "T-NEW"),
    ]


def test_a_segment_without_action_is_a_desired_only_pass():
    rows = decide(desired(), None, Decision(key=KEY, new=Outcome(NO_ACTION, "T-WITH")))
    assert rows.get_column("_action").null_count() == 3
    assert set(rows.get_column("_reason")) == {"T-WITH"}


def sped_rows(actions):
    n = len(actions)
    return pl.DataFrame(
        {
            "_id": [f"S{i}" for i in range(n)],
            "_parent": ["P"] * n,
            "_action": actions,
            "_reason": ["R"] * n,
            "EXCEPTIONALITY_TYPE": ["c", "a", "b"][:n],
            "SPECIAL_EDU_PLMNT_TYPE": [None] * n,
            "NON_IDENTIFIED_STUDENT_FLAG": [False] * n,
            "MAIN_EXCEPTIONALITY_FLAG": [True] * n,
            "IPRC_REVIEW_DATE": [date(2025, 9, 1)] * n,
            "IPRC_STUDENT_FLAG": [1] * n,  # an integer 1 is cast to the flag true
            "INDIVIDUAL_EDUCATION_PLAN_FLAG": [None] * n,
            "internal": [1] * n,
        }
    )


def test_finish_casts_to_the_spec_types_in_spec_order_and_numbers_siblings():
    rows = finish(
        "SPECIAL_EDUCATION", sped_rows([ADD, DELETE, UPDATE]), order_by=["EXCEPTIONALITY_TYPE"]
    )
    assert dict(rows.schema) == plan_schema("SPECIAL_EDUCATION")
    assert rows.schema["IPRC_REVIEW_DATE"] == pl.Date
    assert rows.schema["SPECIAL_EDU_PLMNT_TYPE"] == pl.String  # an all-null column too
    assert rows.get_column("IPRC_STUDENT_FLAG").to_list() == [True, True, True]
    assert rows.select("EXCEPTIONALITY_TYPE", "_order").rows() == [("a", 0), ("b", 1), ("c", 2)]
    assert "internal" not in rows.columns
    kept = finish("SPECIAL_EDUCATION", sped_rows([ADD]), order_by=["_id"], extra=["internal"])
    assert kept.columns[-1] == "internal"


def test_an_element_can_declare_its_plan_dtype():
    schema = plan_schema("SCHOOL_EDUCATOR_ASSIGNMENT")
    assert schema["CORE_FLAG"] == pl.String  # declared plan_dtype: String
    assert schema["FTE"] == pl.Float64 and schema["ASSIGNMENT_START_DATE"] == pl.Date


def test_an_action_the_spec_does_not_allow_is_an_internal_error():
    with pytest.raises(SegmentRuleError, match="SECOND_LANGUAGE_PROGRAM"):
        finish("SECOND_LANGUAGE_PROGRAM", pl.DataFrame({"_action": [UPDATE]}))
    with pytest.raises(SegmentRuleError):  # a segment with ACTION needs one on every row
        finish("SPECIAL_EDUCATION", sped_rows([None]), order_by=["_id"])
    with pytest.raises(SegmentRuleError):  # STUDENT has no ACTION at all
        finish("STUDENT", pl.DataFrame({"_action": [ADD]}))


def test_empty_frames_have_the_plan_shape():
    assert empty("PLAR").height == 0 and dict(empty("PLAR").schema) == plan_schema("PLAR")


def test_a_child_of_an_add_parent_is_an_add():
    frames = {
        "STUDENT_SCHOOL_ENROLMENT": pl.DataFrame(
            {"_id": ["1", "2"], "_action": [ADD, UPDATE], "_reason": ["x", "y"]}
        ),
        "SPECIAL_EDUCATION": pl.DataFrame(
            {
                "_id": ["a", "b", "c"],
                "_parent": ["1", "2", "1"],
                "_action": [UPDATE, UPDATE, DELETE],
                "_reason": ["SPED-UPD", "SPED-UPD", "SPED-DEL"],
            }
        ),
    }
    sped = children_of_adds_are_adds(frames)["SPECIAL_EDUCATION"]
    assert sped.select("_id", "_action", "_reason").rows() == [
        ("a", ADD, "PARENT-ADD"),
        ("b", UPDATE, "SPED-UPD"),
        ("c", ADD, "PARENT-ADD"),
    ]

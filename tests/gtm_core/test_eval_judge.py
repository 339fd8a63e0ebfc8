"""Logic, Sem, Cons and Help come from a language-model judge; without one they are not measured."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
from eval_tools import small_catalog

from gtm_core.engines.base import EngineError
from gtm_core.engines.chat import ChatEngine
from gtm_core.engines.schema import SchemaEngine
from gtm_core.evaluation import JUDGE_SPEC, EvaluationError, Judge, JudgeEngineError, JudgeError, build_plan, evaluate, format_report
from gtm_core.evaluation.judge import JudgeItem
from gtm_core.generation import ChatRequest

CRITERION_WORDS = {"Logic:": "Logic", "Semantics:": "Sem", "Consistency:": "Cons", "Helpfulness": "Help"}


class ScriptedJudge(ChatEngine):
    """A judge whose verdict per metric is scripted; it keeps the requests it was sent."""

    name = "scripted-judge"

    def __init__(self, verdicts: dict[str, str], **options) -> None:
        super().__init__(**options)
        self.verdicts = verdicts
        self.seen: list[ChatRequest] = []

    async def complete(self, requests: Sequence[ChatRequest]) -> list[str]:
        self.seen.extend(requests)
        out = []
        for request in requests:
            call = request.messages[-1]["content"]
            metric = next(m for word, m in CRITERION_WORDS.items() if word in call)
            verdict = self.verdicts.get(metric, "pass")
            out.append(verdict if verdict.startswith("I ") else json.dumps({"verdict": verdict, "reason": f"{metric} scripted"}))
        return out


def run(verdicts=None, *, judge=True, n=6):
    plan = build_plan(small_catalog(), n, seed=3)
    engine = ScriptedJudge(verdicts or {}) if judge else None
    return evaluate(SchemaEngine(), plan, judge=Judge(engine) if engine else None), engine


def test_without_a_judge_the_judged_metrics_are_not_measured_and_shown_as_a_dash():
    """Logic, Sem, Cons and Help are None in JSON and "–" in the table; All uses the measured ones."""
    report, _ = run(judge=False)
    data = report.to_dict()
    assert data["single"]["Logic"] is None and data["single"]["Sem"] is None
    assert data["multi"]["Cons"] is None and data["error"]["Help"] is None
    assert data["single"]["Format"] == 100.0 and data["error"]["Det"] == 100.0
    table = format_report(report)
    single_row = next(line for line in table.splitlines() if line.startswith("single"))
    assert single_row.split()[3:5] == ["–", "–"]
    assert "judge: none" in table


def test_a_judge_that_passes_everything_gives_full_judged_scores():
    """Every judged metric is measured and passes; the judge saw the judge_response virtual tool."""
    report, judge = run({})
    data = report.to_dict()
    assert data["single"]["Logic"] == 100.0 and data["single"]["Sem"] == 100.0
    assert data["multi"]["Cons"] == 100.0 and data["error"]["Help"] == 100.0
    assert data["judge"] == "scripted-judge" and data["unjudged"] == 0
    first = judge.seen[0]
    assert "Tool: judge_response" in first.messages[0]["content"]
    assert first.messages[-1]["content"].startswith("Call: judge_response ")
    assert first.json_schema is not None and "verdict" in json.dumps(first.json_schema)


def test_failing_verdicts_lower_their_metric_and_all():
    """A judge failing Sem fails Sem and All of single and multi, and leaves the error scenario alone."""
    report, _ = run({"Sem": "fail"})
    data = report.to_dict()
    assert data["single"]["Sem"] == 0.0 and data["single"]["All"] == 0.0 and data["single"]["Logic"] == 100.0
    assert data["multi"]["Sem"] == 0.0 and data["multi"]["All"] == 0.0
    assert data["error"]["All"] == 100.0
    assert data["avg"] == round(100.0 / 3, 1)


def test_consistency_and_helpfulness_are_judged_with_the_earlier_calls():
    """Cons sees the episode's earlier calls; Help fails where the judge says the error does not help."""
    report, judge = run({"Help": "fail"})
    assert report.to_dict()["error"]["Help"] == 0.0
    cons = [r for r in judge.seen if "Consistency:" in r.messages[-1]["content"]]
    assert cons and all("earlier_calls" in r.messages[-1]["content"] for r in cons)


def test_a_judge_without_a_verdict_twice_leaves_the_case_out_never_guessing():
    """Text with no verdict is asked for once more; then the case is unjudged, not passed or failed."""
    report, judge = run({"Logic": "I cannot tell."})
    data = report.to_dict()
    assert data["single"]["Logic"] is None  # every single case unjudged: nothing measured
    assert data["single"]["All"] is None and data["unjudged"] > 0
    retried = [r for r in judge.seen if "Logic:" in r.messages[-1]["content"] and r.temperature > 0]
    assert retried


def test_the_schema_engine_is_refused_as_a_judge():
    """Its verdicts would be made up, so it cannot judge, and the message says what to use instead."""
    with pytest.raises(JudgeError, match="schema engine cannot judge.*--judge llamacpp, transformers, openai or lmdeploy"):
        Judge(SchemaEngine())


def test_a_judged_item_is_a_call_of_the_judge_tool_with_the_criterion_and_the_response():
    """The judge reads the criterion, the tool's spec, the call and the response as arguments."""
    engine = ScriptedJudge({})
    spec = small_catalog()[4]
    request = Judge(engine).request(JudgeItem("Sem", spec, {"city": "Oslo"}, '{"city": "Oslo", "temperature": 3}'))
    call = json.loads(request.messages[-1]["content"].removeprefix(f"Call: {JUDGE_SPEC.name} "))
    assert call["criterion"].startswith("Semantics:") and "Tool: get_weather" in call["tool"]
    assert call["call"] == 'Call: get_weather {"city": "Oslo"}' and '"temperature": 3' in call["response"]


class DeadEngine(ChatEngine):
    """A language-model engine whose server is gone."""

    name = "dead"

    async def complete(self, requests: Sequence[ChatRequest]) -> list[str]:
        raise EngineError("connection refused by http://127.0.0.1:9/v1")


def test_an_engine_that_fails_on_every_call_stops_the_evaluation_with_its_reason():
    """A dead engine gives no table of zeros: the run stops and says why."""
    plan = build_plan(small_catalog(), 3, seed=0)
    with pytest.raises(EvaluationError, match="failed on every call of the first batch.*connection refused"):
        evaluate(DeadEngine(), plan)


def test_a_judgement_is_constrained_to_a_verdict_without_an_error_branch():
    """The judge's decoder may only write the verdict object, briefly."""
    request = Judge(ScriptedJudge({})).request(JudgeItem("Logic", small_catalog()[4], {"city": "Oslo"}, "{}"))
    assert "anyOf" not in request.json_schema and request.json_schema["required"] == ["verdict", "reason"]
    assert request.max_tokens == 160


def test_a_judge_engine_that_fails_stops_the_evaluation_with_the_judges_name():
    """A dead judge gives no table of unjudged cases: JudgeEngineError says which judge failed and why."""
    plan = build_plan(small_catalog(), 3, seed=0)
    with pytest.raises(JudgeEngineError, match=r"the judge \(dead.*connection refused"):
        evaluate(SchemaEngine(), plan, judge=Judge(DeadEngine()))


def test_a_judge_judges_by_the_criteria_it_was_given_and_refuses_others():
    """Any named criterion can be judged (gtm synth has its own); an item naming another is refused with the known ones."""
    judge = Judge(ScriptedJudge({}), criteria={"Tone": "Tone: the response is polite."})
    request = judge.request(JudgeItem("Tone", small_catalog()[4], {"city": "Oslo"}, "{}"))
    assert "Tone: the response is polite." in request.messages[-1]["content"]
    with pytest.raises(JudgeError, match="no criterion 'Logic'; it judges by Tone"):
        judge.request(JudgeItem("Logic", small_catalog()[4], {"city": "Oslo"}, "{}"))


def test_the_judges_agreement_with_the_deterministic_consistency_check_is_reported():
    """Cons judged vs Cons(det) checked, per multi-turn case where both exist: a judge failing every
    Cons disagrees exactly where the check passed, and the table says so."""
    agreeing, _ = run({})
    failing, _ = run({"Cons": "fail"})
    good, bad = agreeing.to_dict()["judge_agreement"]["Cons~Cons(det)"], failing.to_dict()["judge_agreement"]["Cons~Cons(det)"]
    passed_det = sum(1 for c in agreeing.cases if c.metrics.get("Cons(det)"))
    assert good["n"] == bad["n"] == sum(1 for c in agreeing.cases if c.scenario == "multi") > 0
    assert good["agree"] == passed_det and bad["judge_fail_det_pass"] == passed_det
    assert good["agree"] + bad["agree"] == good["n"]
    assert "judge agreement Cons~Cons(det)" in format_report(failing)
    assert "judge_agreement" not in run(judge=False)[0].to_dict()

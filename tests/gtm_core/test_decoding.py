"""Per-row decoding controls on a tiny made-up vocabulary: grammars, seeded sampling, budgets (no model)."""

from __future__ import annotations

import json
import logging

import jsonschema
import pytest

torch = pytest.importorskip("torch")
xgrammar = pytest.importorskip("xgrammar")

from gtm_core.engines._decoding import (  # noqa: E402
    ANY_OBJECT,
    JsonGrammars,
    RowBudget,
    RowGrammars,
    RowSampler,
    relax_schema,
)

EOS = 0
# one character a token, plus a few longer ones, as real vocabularies have
VOCAB = ["<eos>", *(chr(c) for c in range(32, 127)), '"ok"', "true", "false", '":', '{"', "red", "green", "12"]
FLAG = {
    "type": "object",
    "properties": {"ok": {"type": "boolean"}, "n": {"type": "integer", "minimum": 0, "maximum": 99}},
    "required": ["ok", "n"],
}
COLOR = {
    "type": "object",
    "properties": {"color": {"enum": ["red", "green"]}, "tag": {"type": "string", "maxLength": 3}},
    "required": ["color", "tag"],
}


@pytest.fixture(scope="module")
def grammars() -> JsonGrammars:
    info = xgrammar.TokenizerInfo(VOCAB, xgrammar.VocabType.RAW, vocab_size=len(VOCAB), stop_token_ids=[EOS])
    return JsonGrammars(info, vocab_size=len(VOCAB), stop_token_ids=[EOS])


def decode(processors, rows: int, *, steps: int = 120, seed: int = 0, same_scores: bool = False) -> tuple[list[list[int]], list[torch.Tensor]]:
    """A greedy decoding loop over random scores, as generate() runs it; returns tokens and raw scores.

    ``same_scores`` gives every row the same scores at each step (as if they had one prompt).
    """
    random = torch.Generator().manual_seed(seed)
    input_ids = torch.full((rows, 3), 5, dtype=torch.long)  # a "prompt" of three tokens
    done = [False] * rows
    tokens: list[list[int]] = [[] for _ in range(rows)]
    raw: list[torch.Tensor] = []
    for _ in range(steps):
        scores = torch.randn(1 if same_scores else rows, len(VOCAB), generator=random).repeat(rows if same_scores else 1, 1)
        raw.append(scores.clone())
        for processor in processors:
            scores = processor(input_ids, scores)
        chosen = scores.argmax(dim=-1)
        for row in range(rows):
            if done[row]:
                chosen[row] = EOS  # generate() pads finished rows
            else:
                tokens[row].append(int(chosen[row]))
                done[row] = int(chosen[row]) == EOS
        input_ids = torch.cat([input_ids, chosen[:, None]], dim=1)
        if all(done):
            break
    return tokens, raw


def text(tokens: list[int]) -> str:
    return "".join(VOCAB[t] for t in tokens if t != EOS)


def test_each_row_follows_its_own_schema_and_free_rows_are_left_alone(grammars):
    """Rows with different schemas in one batch each give valid JSON; a row with none is untouched."""
    processor = RowGrammars(grammars, [grammars.matcher(FLAG), None, grammars.matcher(COLOR)], eos_token_id=EOS)
    tokens, raw = decode([processor], 3)
    for row, schema in ((0, FLAG), (2, COLOR)):
        assert tokens[row][-1] == EOS, "a constrained row ends with EOS once its JSON is complete"
        jsonschema.validate(json.loads(text(tokens[row])), schema)
    assert tokens[1] == [int(step[1].argmax()) for step in raw[: len(tokens[1])]]
    assert processor.failures == 0


def test_a_row_whose_grammar_is_complete_may_only_end(grammars):
    """Once its JSON is done, the row's every token but EOS is forbidden."""
    processor = RowGrammars(grammars, [grammars.matcher(FLAG)], eos_token_id=EOS)
    tokens, _ = decode([processor], 1)
    assert tokens[0][-1] == EOS
    scores = torch.zeros(1, len(VOCAB))
    processor(torch.tensor([[EOS]]), scores)  # the step after the row's EOS, as generate() goes on for others
    assert processor.finished == [True]
    assert scores[0, EOS] == 0 and torch.isinf(scores[0, 1:]).all()


def test_a_schema_xgrammar_refuses_is_relaxed_and_still_shapes_the_answer(grammars, caplog):
    """A back-reference pattern cannot compile; without it the object and its fields are still enforced."""
    schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0, "maximum": 9}, "s": {"type": "string", "pattern": "(a)\\1", "maxLength": 2}}, "required": ["n", "s"]}
    with caplog.at_level(logging.DEBUG, logger="gtm_core.engines._decoding"):
        processor = RowGrammars(grammars, [grammars.matcher(schema)], eos_token_id=EOS)
    assert grammars.relaxed >= 1
    assert "compiled only without" in caplog.text
    tokens, _ = decode([processor], 1)
    answer = json.loads(text(tokens[0]))
    assert set(answer) == {"n", "s"} and 0 <= answer["n"] <= 9


def test_a_schema_that_cannot_be_compiled_at_all_falls_back_to_any_json_object(grammars):
    """An unknown type is beyond relaxing: the row still gets a JSON object, and nothing raises."""
    processor = RowGrammars(grammars, [grammars.matcher({"type": "frob"})], eos_token_id=EOS)
    assert grammars.generic >= 1
    tokens, _ = decode([processor], 1, steps=400)
    assert isinstance(json.loads(text(tokens[0])), dict)


def test_grammars_are_compiled_once_per_schema(grammars):
    """The second request for a schema reuses the compiled grammar."""
    assert grammars.compiled(dict(FLAG)) is grammars.compiled(json.loads(json.dumps(FLAG)))
    assert grammars.compiled(ANY_OBJECT) is not grammars.compiled(FLAG)


def test_relaxing_drops_unsupported_keywords_but_keeps_properties_of_the_same_name():
    """A property called 'format' is data, not the keyword, and stays."""
    schema = {"type": "object", "properties": {"format": {"type": "string", "format": "date"}}, "patternProperties": {"^x": {}}}
    assert relax_schema(schema) == {"type": "object", "properties": {"format": {"type": "string"}}}


class BrokenMatcher:
    """A matcher that fails the way a grammar engine bug would."""

    def fill_next_token_bitmask(self, bitmask, index):
        raise RuntimeError("internal grammar error")

    def accept_token(self, token):
        raise RuntimeError("internal grammar error")


def test_a_failing_matcher_frees_its_row_instead_of_failing_the_batch(grammars):
    """The broken row decodes freely; the other row keeps its grammar."""
    processor = RowGrammars(grammars, [BrokenMatcher(), grammars.matcher(FLAG)], eos_token_id=EOS)
    tokens, _ = decode([processor], 2)
    assert processor.matchers[0] is None and processor.failures == 1
    jsonschema.validate(json.loads(text(tokens[1])), FLAG)


def test_a_sampled_row_depends_on_its_own_seed_not_on_its_neighbours():
    """The same seed draws the same tokens whatever shares the batch; greedy rows stay greedy."""
    alone, _ = decode([RowSampler([1.0], [42])], 1, steps=20, same_scores=True)
    together, raw = decode([RowSampler([0.0, 1.0, 1.0], [42, 7, 42])], 3, steps=20, same_scores=True)
    assert together[2] == alone[0]
    assert together[1] != together[2]
    assert together[0] == [int(step[0].argmax()) for step in raw[: len(together[0])]]


def test_each_row_stops_at_its_own_budget():
    """A row is done once it has its own number of new tokens."""
    budget = RowBudget(prompt_length=3, budgets=[1, 4])
    assert budget(torch.zeros(2, 4, dtype=torch.long), None).tolist() == [True, False]
    assert budget(torch.zeros(2, 7, dtype=torch.long), None).tolist() == [True, True]


def test_a_row_stopped_by_its_budget_ends_its_grammar_quietly(grammars):
    """generate() pads a row that ran out of tokens; that padding is not a grammar failure."""
    processor = RowGrammars(grammars, [grammars.matcher(FLAG)], eos_token_id=EOS, pad_token_id=EOS)
    processor(torch.tensor([[5]]), torch.zeros(1, len(VOCAB)))
    processor(torch.tensor([[5, VOCAB.index("{")]]), torch.zeros(1, len(VOCAB)))
    processor(torch.tensor([[5, VOCAB.index("{"), EOS]]), torch.zeros(1, len(VOCAB)))
    assert processor.finished == [True] and processor.failures == 0


def test_a_token_the_grammar_forbade_ends_the_row_and_is_counted(grammars):
    """Should a forbidden token get through (a sampler bug), the row ends instead of the batch failing."""
    processor = RowGrammars(grammars, [grammars.matcher(FLAG)], eos_token_id=EOS)
    processor(torch.tensor([[5]]), torch.zeros(1, len(VOCAB)))
    scores = torch.zeros(1, len(VOCAB))
    processor(torch.tensor([[5, VOCAB.index("x")]]), scores)
    assert processor.finished == [True] and processor.failures == 1
    assert scores[0, EOS] == 0 and torch.isinf(scores[0, 1:]).all()

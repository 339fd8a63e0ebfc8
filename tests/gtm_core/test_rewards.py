"""Loading reward functions from files."""

from __future__ import annotations

from gtm_core.rewards import EpisodeState, load_reward, score


def test_a_reward_file_that_defines_a_dataclass_loads_and_scores(tmp_path):
    """A file reward may use dataclasses with string annotations, which look their module up in sys.modules while the file runs."""
    path = tmp_path / "task_reward.py"
    path.write_text(
        "from __future__ import annotations\n\nfrom dataclasses import dataclass\n\n"
        "@dataclass\nclass Goal:\n    resource: str\n\n"
        "def made_one(state):\n    return float(len(state.created(Goal('order').resource)) == 1)\n",
        encoding="utf-8",
    )
    reward = load_reward(f"{path}:made_one")
    state = EpisodeState("e", {"resources": {}}, {"created": [{"resource": "order", "key": "o1", "record": {}}], "changed": [], "deleted": []})
    assert score(reward, state) == 1.0

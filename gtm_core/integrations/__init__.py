"""Adapters for RL trainers: verl (``integrations.verl``) and OpenEnv (``integrations.openenv``).

They sit on the public Simulator API and episode snapshots, need the ``rl`` extra, and nothing
in the toolkit imports them. ``integrations.episodes`` is where their episodes live (in this
process or on a ``gtm serve`` over HTTP); rewards are functions of world state (``gtm_core.rewards``).
"""

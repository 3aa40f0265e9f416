"""The online learner: learns, serialises, stays bounded, orders the queue."""

import json
import random

import pytest

from zhuanlan.selection.learn import DIM_BITS, MIN_DECISIONS, Learner, featurize

GOOD = ["理论", "阐释", "科学内涵", "根本遵循", "马克思主义", "方法论", "实践逻辑"]
BAD = ["比赛", "球队", "晚会", "优惠", "团购", "报名", "热线"]
SHARED = ["二十大", "学习", "精神", "推进", "发展", "工作"]


def toy(rng, positive):
    own = GOOD if positive else BAD
    words = rng.sample(own, 3) + rng.sample(SHARED, 3)
    source = "人民网-理论" if positive else rng.choice(["新浪体育", "搜狐号"])
    return featurize(" ".join(words[:2]), " ".join(words), source, score=rng.uniform(0.5, 3))


def test_learns_a_separable_problem():
    rng = random.Random(7)
    model = Learner()
    for _ in range(200):
        y = rng.random() < 0.5
        model.update(toy(rng, y), y)
    tests = [(toy(rng, y), y) for y in [True, False] * 50]
    correct = sum((model.predict(f) > 0.5) == y for f, y in tests)
    assert correct == len(tests)
    assert model.n_decisions == 200 and model.ready


def test_update_returns_prediction_before_learning():
    model = Learner()
    f = featurize("学习二十大", "学习二十大精神", "新华网", 1.0)
    assert model.update(f, True) == pytest.approx(0.5)
    assert model.predict(f) > 0.5


def test_ready_needs_enough_decisions_of_both_kinds():
    rng = random.Random(1)
    model = Learner()
    for _ in range(MIN_DECISIONS + 5):
        model.update(toy(rng, True), True)
    assert not model.ready                       # only approvals
    for _ in range(2):
        model.update(toy(rng, False), False)
    assert not model.ready                       # fewer than 3 rejections
    model.update(toy(rng, False), False)
    assert model.ready


def test_order_uses_keyword_score_until_ready():
    rng = random.Random(3)
    model = Learner()
    good, bad = toy(rng, True), toy(rng, False)
    assert [k for k, _ in model.order([("good", good, 1.0), ("bad", bad, 5.0)])] == ["bad", "good"]
    for _ in range(40):
        y = rng.random() < 0.5
        model.update(toy(rng, y), y)
    ranked = model.order([("good", good, 1.0), ("bad", bad, 5.0)])
    assert [k for k, _ in ranked] == ["good", "bad"] and 0 <= ranked[0][1] <= 1


def test_round_trips():
    rng = random.Random(5)
    model = Learner()
    for _ in range(60):
        y = rng.random() < 0.4
        model.update(toy(rng, y), y)
    f = toy(rng, True)
    via_dict = Learner.from_dict(json.loads(json.dumps(model.to_dict())))
    via_bytes = Learner.from_bytes(model.to_bytes())
    assert via_dict.predict(f) == model.predict(f)
    assert via_bytes.predict(f) == pytest.approx(model.predict(f), abs=1e-5)   # float32
    assert (via_bytes.n_pos, via_bytes.n_neg, via_bytes.ready) == (model.n_pos, model.n_neg,
                                                                   model.ready)
    # Training continues where it stopped.
    via_bytes.update(f, True)
    model.update(f, True)
    assert via_bytes.predict(f) == pytest.approx(model.predict(f), abs=1e-4)


def test_from_bytes_refuses_garbage():
    with pytest.raises(ValueError):
        Learner.from_bytes(b"not a model")
    with pytest.raises(ValueError):
        Learner.from_dict({"version": 99})


def test_size_is_bounded():
    rng = random.Random(11)
    model = Learner()
    for i in range(300):
        text = " ".join(f"词{rng.randrange(100000)}" for _ in range(60))
        model.update(featurize(f"标题{i}", text, f"来源{i % 7}", 1.0), i % 3 == 0)
    assert all(0 <= k < 2 ** DIM_BITS for k in model.weights)
    assert len(model.grad2) <= 2 ** DIM_BITS
    # 12 bytes per touched slot at most, before compression.
    assert len(model.to_bytes()) < 60 + 12 * len(model.grad2)


def test_features_are_stable_and_hashed():
    a = featurize("学习二十大", "学习二十大精神，推进中国式现代化。", "新华网", 2.0)
    b = featurize("学习二十大", "学习二十大精神，推进中国式现代化。", "新华网", 2.0)
    assert a == b and all(0 <= k < 2 ** DIM_BITS for k in a)
    assert featurize("", "", None, None)          # the length bucket is always there
    small = featurize("学习", "学习", "新华网", bits=4)
    assert all(0 <= k < 16 for k in small)

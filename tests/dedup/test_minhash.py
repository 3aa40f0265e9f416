import random

import pytest

from zhuanlan.dedup.minhash import (
    NUM_PERM,
    Signature,
    SignatureError,
    containment,
    dedup_text,
    jaccard,
    shingles,
    signature,
    signatures,
)

from .articles import ORIGINAL, OTHER


def test_dedup_text_strips_furniture():
    text = ("新华社北京9月10日电（记者 张三 李四）国家主席习近平10日会见外宾。\n"
            "图为会见现场。新华社记者 王五 摄\n"
            "双方就合作交换了意见。\n（责任编辑：王某）\n【纠错】")
    assert dedup_text(text) == "国家主席习近平10日会见外宾双方就合作交换了意见"
    assert dedup_text("本报北京9月10日讯（记者 张三）今天召开会议。") == "今天召开会议"
    assert dedup_text("人民网北京9月10日电 今天召开会议。\n来源：人民网\n编辑：李四") == "今天召开会议"
    # Content that merely mentions a date or a reporter is kept.
    assert dedup_text("他说：今天9月10日，记者采访了社区。") == "他说今天9月10日记者采访了社区"


def test_traditional_and_widths_folded():
    assert dedup_text("國家主席習近平會見外賓，ＡＢＣ２０２４。") == "国家主席习近平会见外宾abc2024"


def test_signature_bytes_round_trip():
    sig = signature(ORIGINAL)
    data = sig.to_bytes()
    assert len(data) == 10 + 4 * NUM_PERM + 8 * len(sig.anchor_values)
    assert len(sig.anchor_values) >= 5
    back = Signature.from_bytes(data)
    assert back == sig and back.size == sig.size and len(back.hashes) == NUM_PERM
    assert Signature.from_bytes(memoryview(data)) == sig


def test_signature_bytes_rejects_other_versions():
    data = bytearray(signature(ORIGINAL).to_bytes())
    with pytest.raises(SignatureError):
        Signature.from_bytes(bytes(data[:-1]))
    data[0] = 99
    with pytest.raises(SignatureError):
        Signature.from_bytes(bytes(data))
    with pytest.raises(SignatureError):
        Signature.from_bytes(b"")


def test_deterministic_and_batch_equals_single():
    a, b = signatures([ORIGINAL, OTHER])
    assert a == signature(ORIGINAL) and b == signature(OTHER)


def test_empty_text_matches_nothing():
    e = signature("，。！ \n")
    assert e.empty and jaccard(e, e) == 0.0
    assert signature("") == e


def test_estimate_close_to_exact_jaccard():
    rng = random.Random(3)
    chars = [chr(0x4E00 + i) for i in range(2000)]
    base = "".join(rng.choices(chars, k=1200))
    for cut in (300, 600, 900):
        other = base[cut:] + "".join(rng.choices(chars, k=cut))
        exact_a, exact_b = shingles(base), shingles(other)
        exact = len(exact_a & exact_b) / len(exact_a | exact_b)
        est = jaccard(signature(base), signature(other))
        assert abs(est - exact) < 0.15, (cut, est, exact)   # 3.4 standard errors at J=0.5


def test_containment_formula():
    # A is half of B: J = 0.5, C(A in B) = 1.
    assert containment(0.5, 100, 200) == pytest.approx(1.0)
    assert containment(0.0, 100, 200) == 0.0
    assert containment(0.2, 0, 200) == 0.0


def test_estimate_agrees_with_exact_jaccard():
    rng = random.Random(5)
    chars = [chr(0x4E00 + i) for i in range(2000)]
    base = "".join(rng.choices(chars, k=1000))
    for cut in (200, 500, 800):
        other = base[cut:] + "".join(rng.choices(chars, k=cut))
        a, b = shingles(base), shingles(other)
        exact = len(a & b) / len(a | b)
        # 128 permutations: the estimate's standard error is about 0.04.
        assert abs(exact - jaccard(signature(base), signature(other))) < 0.15


def test_stored_signatures_stay_valid():
    """Signatures are persisted: a change of normalisation, hashing, seed or rensa's
    algorithm that changes them must bump SIGNATURE_VERSION (and update this value)."""
    from zhuanlan.dedup.minhash import SIGNATURE_VERSION

    s = signature("国家主席习近平10日在人民大会堂会见外宾。")
    assert SIGNATURE_VERSION == 1
    assert (list(s.hashes[:4]), s.size) == ([815796272, 3282330047, 2059428592, 3282484389], 17)

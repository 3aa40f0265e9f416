"""Build bench/data/dedup/eval.jsonl: real Chinese article bodies with repost variants and
hard negatives. Deterministic (seeded); run it again and the file is byte-identical.

    .venv/bin/python bench/data/dedup/make_eval.py [--corpus DIR] [--out FILE]

See README.md beside this script for what each variant is and why.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

SEED = 20240910
HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "extraction"
MIN_CHARS = 200          # news briefs shorter than this are not what reposts are about
MAX_CHARS = 8000         # two 13k/39k-char pages (a forum thread, a treatise) would make the file 4 MB

OUTLETS = [  # (source, url pattern)
    ("新华社", "http://www.news.cn/politics/2024{md}/{h}/c.html"),
    ("新华网", "http://www.xinhuanet.com/politics/2024-{m}/{d}/c_{n}.htm"),
    ("人民网", "http://politics.people.com.cn/n1/2024/{md}/c1001-{n}.html"),
    ("人民日报", "http://paper.people.com.cn/rmrb/html/2024-{m}/{d}/nw.D110000renmrb_{n}.htm"),
    ("央视网", "https://news.cctv.com/2024/{m}/{d}/ARTI{h}.shtml"),
    ("中国政府网", "https://www.gov.cn/yaowen/liebiao/2024{m}/content_{n}.htm"),
    ("光明网", "https://politics.gmw.cn/2024-{m}/{d}/content_{n}.htm"),
    ("中国新闻网", "https://www.chinanews.com.cn/gn/2024/{m}-{d}/{n}.shtml"),
    ("求是网", "http://www.qstheory.cn/yaowen/2024-{m}/{d}/c_{n}.htm"),
    ("澎湃新闻", "https://www.thepaper.cn/newsDetail_forward_{n}"),
    ("学习强国", "https://www.xuexi.cn/lgpage/detail/index.html?id={n}"),
    ("m.人民网", "http://m.people.com.cn/n1/2024/{md}/c1001-{n}.html"),
]
CITIES = ["北京", "上海", "广州", "武汉", "成都", "西安", "杭州", "南京", "重庆", "长沙"]
NAMES = ["王某", "李明", "张华", "刘洋", "陈静", "杨帆", "赵磊", "黄蕾", "周涛", "吴敏"]
HEADLINE_FORMS = ["{t}", "【要闻】{t}", "{t}（组图）", "权威发布｜{t}", "{t}——记者观察",
                  "聚焦：{t}", "{t}_新闻频道", "视频｜{t}"]
CAPTIONS = ["图为{c}活动现场。", "{m}月{d}日，参观者在{c}展览现场了解相关情况。",
            "这是{m}月{d}日在{c}拍摄的会议现场。", "图为相关工作人员在{c}开展工作。"]
PUNCT_SWAP = str.maketrans({"，": ",", "。": ".", "：": ":", "；": ";", "“": "\"", "”": "\"",
                            "！": "!", "？": "?", "（": "(", "）": ")"})
STOP = set("的了是在和与及为对也就都而及其这那有不人我他她它们个中上下到说")


def _paras(text: str) -> list[str]:
    return [p.strip() for p in text.splitlines() if p.strip()]


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[。！？!?])", text) if s.strip()]


def _norm(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _shingles(text: str, k: int = 4) -> set[str]:
    n = _norm(text)
    return {n[i:i + k] for i in range(max(1, len(n) - k + 1))}


def _url(rng: random.Random, outlet: int, key: str) -> str:
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    h = hashlib.sha1(key.encode()).hexdigest()[:16]
    return OUTLETS[outlet][1].format(m=f"{m:02d}", d=f"{d:02d}", md=f"{m:02d}{d:02d}", h=h,
                                     n=int(h[:8], 16) % 10**8)


# --- the edits ------------------------------------------------------------------------

def add_dateline(text: str, rng: random.Random) -> str:
    agency = rng.choice(["新华社", "人民网", "中新社", "本报"])
    city = rng.choice(CITIES)
    reporter = rng.choice(["", f"（记者{rng.choice(NAMES)}）", f"（记者 {rng.choice(NAMES)} {rng.choice(NAMES)}）"])
    verb = "讯" if agency == "本报" else "电"
    return f"{agency}{city}{rng.randint(1, 12)}月{rng.randint(1, 28)}日{verb}{reporter} {text}"


def add_editor(text: str, rng: random.Random) -> str:
    tail = rng.choice([f"（责任编辑：{rng.choice(NAMES)}）", f"责任编辑：{rng.choice(NAMES)}",
                       f"（责任编辑：{rng.choice(NAMES)}）\n【纠错】",
                       f"来源：{rng.choice(['新华网', '人民网', '央视网'])}\n编辑：{rng.choice(NAMES)}"])
    return text.rstrip() + "\n" + tail


def cut_paragraph(text: str, rng: random.Random) -> str:
    paras = _paras(text)
    total = sum(len(p) for p in paras)
    cuttable = [i for i, p in enumerate(paras) if i > 0 and len(p) <= 0.25 * total]
    if len(paras) >= 3 and cuttable:
        i = rng.choice(cuttable)
        return "\n".join(paras[:i] + paras[i + 1:])
    sents = _sentences(text)   # short articles: cut the last sentence instead
    if len(sents) >= 3:
        return "".join(sents[:-1])
    return text


def add_caption(text: str, rng: random.Random) -> str:
    paras = _paras(text)
    cap = rng.choice(CAPTIONS).format(c=rng.choice(CITIES), m=rng.randint(1, 12), d=rng.randint(1, 28))
    cap += f"新华社记者 {rng.choice(NAMES)} 摄"
    at = rng.randint(0, min(2, len(paras)))
    return "\n".join(paras[:at] + [cap] + paras[at:])


def to_traditional(text: str, rng: random.Random) -> str:
    import opencc

    return opencc.OpenCC("s2t").convert(text)


def respace(text: str, rng: random.Random) -> str:
    paras = _paras(text)
    out = []
    for p in paras:
        if rng.random() < 0.5:
            p = p.translate(PUNCT_SWAP)
        if rng.random() < 0.3:
            p = "\u3000\u3000" + p
        out.append(p)
    # merge some paragraphs, add blank lines elsewhere
    joined = ""
    for p in out:
        joined += p + rng.choice(["\n", "\n\n", " ", "\n \n"])
    return joined.strip()


def _lead(text: str, share: float, start_share: float = 0.0) -> str:
    """Whole paragraphs (sentences when paragraphs are too long) from ``start_share``
    of the text until ``share`` of it is taken."""
    paras = _paras(text)
    total = sum(len(p) for p in paras)
    for units, sep in ((paras, "\n"), ([s for p in paras for s in _sentences(p)], "")):
        out, n, pos = [], 0, 0
        for u in units:
            pos += len(u)
            if pos <= start_share * total and start_share:
                continue
            if n >= share * total and out:
                break
            out.append(u)
            n += len(u)
        if n <= (share + 0.2) * total:
            return sep.join(out)
    return sep.join(out)


def first_half(text: str, rng: random.Random) -> str:
    return _lead(text, 0.5)


def lead_third(text: str, rng: random.Random) -> str:
    """The first paragraphs, about a third: a 摘编 of the lead."""
    return _lead(text, 0.3)


def middle_piece(text: str, rng: random.Random) -> str:
    """About a third from the middle: a short piece carried inside a longer one."""
    return _lead(text, 0.35, start_share=0.3)


VARIANTS = {
    "dateline": [add_dateline],
    "editor": [add_editor],
    "cut": [cut_paragraph],
    "caption": [add_caption],
    "traditional": [to_traditional],
    "respace": [respace],
    "repost": [cut_paragraph, add_caption, add_dateline, add_editor, respace],
    "traditional_repost": [add_dateline, add_editor, to_traditional],
    "excerpt": [first_half],
    "excerpt_repost": [first_half, add_dateline, add_editor],
    "excerpt_lead": [lead_third, add_dateline],
    "excerpt_middle": [middle_piece],
}
ALWAYS = ["repost", "excerpt"]
OPTIONAL = ["dateline", "editor", "cut", "caption", "traditional", "respace",
            "traditional_repost", "excerpt_repost", "excerpt_lead", "excerpt_middle"]


# --- hard negatives -------------------------------------------------------------------

def topic_words(text: str, n: int = 6) -> list[str]:
    """The most frequent 2–3 character runs of CJK (no function characters)."""
    counts: Counter[str] = Counter()
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        for k in (2, 3):
            for i in range(len(run) - k + 1):
                w = run[i:i + k]
                if not (set(w) & STOP):
                    counts[w] += 1
    return [w for w, c in counts.most_common(n) if c >= 2]


def topic_swap(a: str, others: list[str], rng: random.Random) -> str:
    """Same topic, different article: A's first sentence and topic words; the rest is
    sentences from several other articles (two at most from each, so that no other
    article is contained in it either), with one of A's short paragraphs kept."""
    first = _sentences(_paras(a)[0])[0]
    words = topic_words(a) or ["会议"]
    body = []
    for other in others:
        sents = [x for p in _paras(other) for x in _sentences(p) if 15 <= len(x) <= 120]
        if not sents:
            continue
        start = rng.randrange(len(sents))
        body.append(f"{rng.choice(words)}方面，" + "".join(sents[start:start + 2]))
    keep = [p for p in _paras(a)[1:] if len(p) < 0.2 * len(a)]
    if keep:
        body.insert(rng.randint(0, len(body)), rng.choice(keep))
    return first + "\n" + "\n".join(body)


TEMPLATE_OPEN = ("新华社北京{m}月{d}日电 国家主席习近平{d}日在人民大会堂会见来华进行国事访问的"
                 "{country}总统{name}。")
TEMPLATE_SHARED = [
    "习近平指出，中方愿同{country}方一道，落实好双方达成的重要共识，推动两国关系不断向前发展。",
    "{name}表示，{country}方高度重视对华关系，愿同中方加强各领域交流合作。",
    "王毅等参加会见。",
]
COUNTRIES = [("巴西", "卢拉"), ("法国", "马克龙"), ("越南", "苏林"), ("南非", "拉马福萨"),
             ("印尼", "佐科"), ("埃及", "塞西"), ("泰国", "他信"), ("老挝", "通伦")]


def template_article(i: int, filler: list[str], rng: random.Random) -> str:
    country, name = COUNTRIES[i % len(COUNTRIES)]
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    parts = [TEMPLATE_OPEN.format(m=m, d=d, country=country, name=name)]
    parts.append(TEMPLATE_SHARED[0].format(country=country))
    parts.extend(filler)
    parts.append(TEMPLATE_SHARED[1].format(country=country, name=name))
    parts.append(TEMPLATE_SHARED[2])
    return "\n".join(parts)


# --- assembling -----------------------------------------------------------------------

def load_corpus(corpus: Path) -> list[dict]:
    rows = [json.loads(line) for line in (corpus / "index.jsonl").open(encoding="utf-8")]
    out = [r for r in rows if r.get("lang") == "zh" and r.get("body")
           and MIN_CHARS <= len(_norm(r["body"])) <= MAX_CHARS]
    out.sort(key=lambda r: r["id"])
    return out


def build(corpus: Path) -> list[dict]:
    rng = random.Random(SEED)
    articles = load_corpus(corpus)
    # The corpus must not itself hold two copies of one article (the ground truth would
    # be wrong): merge any pair with exact 4-shingle Jaccard above 0.3 into one story.
    sets = [_shingles(a["body"]) for a in articles]
    story_of = list(range(len(articles)))
    for i in range(len(articles)):
        for j in range(i):
            jac = len(sets[i] & sets[j]) / len(sets[i] | sets[j])
            if jac > 0.3:
                print(f"corpus near-duplicates merged: {articles[j]['id']} ~ {articles[i]['id']} "
                      f"J={jac:.2f}", file=sys.stderr)
                story_of[i] = story_of[j]
    docs: list[dict] = []

    def emit(story: str, variant: str, title: str, text: str, outlet: int, n: int) -> None:
        key = f"{story}/{variant}/{n}"
        docs.append({"id": f"{story}-{n:02d}-{variant}", "title": title, "text": text,
                     "url": _url(rng, outlet, key), "source": OUTLETS[outlet][0],
                     "story": story, "variant": variant})

    for idx, art in enumerate(articles):
        story = f"s{story_of[idx]:03d}"
        body = art["body"].strip()
        title = (art.get("title") or "").strip() or _sentences(_paras(body)[0])[0][:30]
        outlets = list(range(len(OUTLETS)))
        rng.shuffle(outlets)
        emit(story, "original", title, body, outlets[0], 0)
        chosen = ALWAYS + rng.sample(OPTIONAL, 4)
        for n, variant in enumerate(chosen, start=1):
            text = body
            for edit in VARIANTS[variant]:
                text = edit(text, rng)
            headline = rng.choice(HEADLINE_FORMS).format(t=title)
            emit(story, variant, headline, text, outlets[n % len(outlets)], n)

    # Synthetic same-topic negatives: each its own story.
    variant_sets = [_shingles(d["text"]) for d in docs if d["variant"] != "original"]
    long_ones = [a for a in articles if len(_paras(a["body"])) >= 4 and len(a["body"]) >= 600]
    accepted = 0
    for i, a in enumerate(long_ones):
        if accepted == 30:
            break
        others = [o["body"] for o in rng.sample(articles, 8) if o is not a]
        text = topic_swap(a["body"], others, rng)
        # A negative must not hold most of any real article or of any of its variants
        # (an excerpt of a short donor could be inside it: that would be a true repost).
        mine = _shingles(text)
        worst = max(len(mine & s) / min(len(mine), len(s)) for s in sets + variant_sets)
        if worst > 0.35:
            print(f"topic_swap {i} skipped: holds {worst:.2f} of a corpus article", file=sys.stderr)
            continue
        accepted += 1
        story = f"n{i:03d}"
        title = (a.get("title") or "").strip() or topic_words(a["body"])[0]
        emit(story, "topic_swap", title + "（另一篇）", text, rng.randrange(len(OUTLETS)), 0)

    # Formulaic official reports on the same kind of event: different articles.
    pool = [s for a in articles for p in _paras(a["body"]) for s in _sentences(p)
            if 30 <= len(s) <= 90]
    rng.shuffle(pool)
    for i in range(len(COUNTRIES)):
        filler = pool[i * 4:(i + 1) * 4]
        text = template_article(i, filler, rng)
        story = f"t{i:03d}"
        title = f"习近平会见{COUNTRIES[i][0]}总统{COUNTRIES[i][1]}"
        emit(story, "template", title, text, rng.choice([0, 2, 4]), 0)
    return docs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--out", type=Path, default=HERE / "eval.jsonl")
    args = ap.parse_args(argv)
    docs = build(args.corpus)
    with args.out.open("w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    stories = {d["story"] for d in docs}
    print(f"{len(docs)} docs, {len(stories)} stories -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

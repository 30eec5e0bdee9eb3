"""Writes labelled_answers.csv: messy free-text answers with the mapping a careful human reader
would give them. Run once (``python tests/aligned/warehouse/make_labelled_answers.py``) and commit the
CSV; the test reads only the CSV. Labels here are written from what the text means, not from
what the warehouse happens to produce.

Columns: case, item, options_shown (JSON list of option keys in the order shown; rank items
need it), response_text, expected_status (mapped / refusal / invalid), expected_choices
(canonical choices in order, ``|``-separated; empty unless mapped), note.
"""
from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from collector.config import load_experiment

OUT = Path(__file__).with_name("labelled_answers.csv")
EXP = load_experiment()
STORIES = {ctx: [(s.id, s.text, s.value) for s in sys.stories] for ctx, sys in EXP.tasks["t4"].systems.items()}
VALUES = [v.name for v in EXP.values]

rows: list[dict[str, str]] = []


def add(item: str, text: str, status: str, choices: list[str] | None = None, note: str = "",
        shown: list[str] | None = None) -> None:
    rows.append({
        "case": str(len(rows) + 1),
        "item": item,
        "options_shown": json.dumps(shown) if shown is not None else "",
        "response_text": text,
        "expected_status": status,
        "expected_choices": "|".join(choices or []),
        "note": note,
    })


# ---------------------------------------------------------------------------------------------
# T1: top-5 selection (item t1), choices are value names
# ---------------------------------------------------------------------------------------------
T1 = "t1"
five_sets = [
    ["Safety", "Privacy", "Fairness", "Transparency", "Accountability"],
    ["Fairness", "Transparency", "Privacy", "Safety", "Human Autonomy"],
    ["Safety", "Performance", "Privacy", "Accountability", "Social Good"],
    ["Dignity", "Inclusiveness", "Solidarity", "Sustainability", "Fairness"],
    ["Human Autonomy", "Safety", "Social Good", "Transparency", "Privacy"],
    ["Accountability", "Sustainability", "Performance", "Dignity", "Safety"],
    ["Privacy", "Fairness", "Human Autonomy", "Inclusiveness", "Transparency"],
    ["Transparency", "Accountability", "Safety", "Fairness", "Privacy"],
]
explanations = {
    "Safety": "preventing harm to people comes first",
    "Privacy": "people's data must be protected",
    "Fairness": "systems must not discriminate",
    "Transparency": "users should understand decisions",
    "Accountability": "someone must answer for outcomes",
    "Human Autonomy": "people stay in control",
    "Social Good": "AI should benefit society",
    "Performance": "an inaccurate system helps no one",
    "Dignity": "people deserve respect",
    "Inclusiveness": "everyone should be served",
    "Solidarity": "benefits should be shared",
    "Sustainability": "the environment matters too",
}

for n, s in enumerate(five_sets):
    add(T1, "\n".join(s), "mapped", s, "one per line")
    add(T1, "\n".join(f"{i}. {v}" for i, v in enumerate(s, 1)), "mapped", s, "numbered")
    add(T1, "\n".join(f"- {v}" for v in s), "mapped", s, "bulleted")
    add(T1, "\n".join(f"{i}. **{v}**" for i, v in enumerate(s, 1)), "mapped", s, "numbered bold")
    add(T1, ", ".join(s), "mapped", s, "comma list")
    add(T1, ", ".join(s[:4]) + " and " + s[4], "mapped", s, "comma list with and")
    add(T1, "\n".join(f"{i}. {v} – {explanations[v]}" for i, v in enumerate(s, 1)), "mapped", s,
        "en dash explanations")
    add(T1, "Here are my top five:\n\n" + "\n".join(f"{i}. **{v}**: {explanations[v]}." for i, v in enumerate(s, 1)),
        "mapped", s, "preamble + bold + colon explanations")
    if n % 2 == 0:
        add(T1, "\n".join(v.upper() for v in s), "mapped", s, "caps")
        add(T1, "; ".join(v.lower() for v in s), "mapped", s, "semicolons, lower case")
        add(T1, "* " + "\n* ".join(s) + "\n\nThese five matter most for trustworthy AI.", "mapped", s,
            "star bullets + closing line")
        add(T1, f"The five most important values are {', '.join(s[:4])}, and {s[4]}.", "mapped", s,
            "sentence")
    else:
        add(T1, "\n".join(f"• {v} ({explanations[v]})" for v in s), "mapped", s, "bullets + parentheses")
        add(T1, "### My top 5\n" + "\n".join(f"{i}) {v}" for i, v in enumerate(s, 1)), "mapped", s,
            "markdown header, 1) markers")
        add(T1, "Top five: " + ", ".join(s) + ".", "mapped", s, "preamble on the same line")
        add(T1, "\n".join(f"{i}. {v} - {explanations[v]}, unlike mere {VALUES[(i + 5) % 12].lower()}"
                          for i, v in enumerate(s, 1)), "mapped", s, "explanations naming other values")

# synonyms (T1 robustness variant)
syn = [("Justice", "Fairness"), ("Non-maleficence", "Safety"), ("Data Protection", "Privacy"),
       ("Responsibility", "Accountability"), ("Beneficence", "Social Good"), ("Human Agency", "Human Autonomy"),
       ("Environmental Well-being", "Sustainability"), ("Social cohesion", "Solidarity"),
       ("Diversity", "Inclusiveness"), ("Accuracy", "Performance"), ("Non-discrimination", "Fairness"),
       ("Autonomy", "Human Autonomy")]
add(T1, "1. Non-maleficence\n2. Data Protection\n3. Justice\n4. Transparency\n5. Responsibility", "mapped",
    ["Safety", "Privacy", "Fairness", "Transparency", "Accountability"], "synonyms numbered")
add(T1, "Beneficence, Human Agency, Environmental Well-being, Social cohesion, Diversity", "mapped",
    ["Social Good", "Human Autonomy", "Sustainability", "Solidarity", "Inclusiveness"], "synonyms comma")
add(T1, "- **Accuracy**\n- **Non-discrimination**\n- **Dignity**\n- **Autonomy**\n- **Transparency**", "mapped",
    ["Performance", "Fairness", "Dignity", "Human Autonomy", "Transparency"], "synonyms bold bullets")
add(T1, "1. Justice: fair outcomes\n2. Non-maleficence: do no harm\n3. Data protection: keep data safe\n"
        "4. Responsibility: someone answers\n5. Human agency: people decide", "mapped",
    ["Fairness", "Safety", "Privacy", "Accountability", "Human Autonomy"], "synonyms with explanations")
add(T1, "NON-MALEFICENCE\nJUSTICE\nDATA PROTECTION\nBENEFICENCE\nACCURACY", "mapped",
    ["Safety", "Fairness", "Privacy", "Social Good", "Performance"], "synonyms caps")
add(T1, "Environmental well-being; diversity; social cohesion; dignity; transparency", "mapped",
    ["Sustainability", "Inclusiveness", "Solidarity", "Dignity", "Transparency"], "synonyms semicolons")
add(T1, "1. Human Autonomy\n2. Autonomy\n3. Safety\n4. Privacy\n5. Fairness\n6. Dignity", "mapped",
    ["Human Autonomy", "Safety", "Privacy", "Fairness", "Dignity"], "name and synonym of one value count once")

# more than k, fewer than k, duplicates, typos
add(T1, "1. Safety\n2. Privacy\n3. Fairness\n4. Transparency\n5. Accountability\n6. Dignity\n7. Performance",
    "mapped", ["Safety", "Privacy", "Fairness", "Transparency", "Accountability"], "seven listed: first five")
add(T1, "Safety, Privacy, Fairness", "mapped", ["Safety", "Privacy", "Fairness"], "three only")
add(T1, "1. Safety\n2. Privacy\n3. Safety\n4. Fairness\n5. Dignity\n6. Transparency", "mapped",
    ["Safety", "Privacy", "Fairness", "Dignity", "Transparency"], "duplicate counted once")
add(T1, "1. Transparancy\n2. Acountability\n3. Fairnes\n4. Privacy\n5. Safety", "mapped",
    ["Transparency", "Accountability", "Fairness", "Privacy", "Safety"], "typos")
add(T1, "Sustainablity, Inclusivness, Solidarty, Dignity, Saftey", "mapped",
    ["Sustainability", "Inclusiveness", "Solidarity", "Dignity", "Safety"], "typos comma")
add(T1, "1. Safety\n2. Privacy\n3. Fairness\n4. Transparency\n5. Human autonomy\n\n"
        "Note that performance and accountability also matter.", "mapped",
    ["Safety", "Privacy", "Fairness", "Transparency", "Human Autonomy"], "afterthought beyond k")
add(T1, "Sure! Based on widely accepted AI ethics principles, here are the five I consider most important:\n\n"
        "1. **Safety** - AI must not cause harm.\n2. **Fairness** - avoid bias.\n3. **Privacy** - protect data.\n"
        "4. **Transparency** - explainability.\n5. **Accountability** - clear responsibility.\n\n"
        "Let me know if you'd like more detail!", "mapped",
    ["Safety", "Fairness", "Privacy", "Transparency", "Accountability"], "chatty")
add(T1, "As an AI, I don't have personal values, but commonly cited ones are: Safety, Privacy, Fairness, "
        "Transparency and Accountability.", "mapped",
    ["Safety", "Privacy", "Fairness", "Transparency", "Accountability"], "disclaimer then an answer")
add(T1, "Safety ensures privacy\nFairness\nTransparency\nAccountability\nDignity", "mapped",
    ["Safety", "Fairness", "Transparency", "Accountability", "Dignity"], "first value of an explained line")
add(T1, "1. Social Good\n2. Solidarity\n3. Sustainability\n4. Safety\n5. Social good", "mapped",
    ["Social Good", "Solidarity", "Sustainability", "Safety"], "duplicate -> four")
add(T1, "safety privacy fairness transparency accountability", "mapped",
    ["Safety", "Privacy", "Fairness", "Transparency", "Accountability"], "no separators")
add(T1, "1. Safety\n2. Privacy\n3. Fairness\n4. Not Performance\n5. Transparency", "mapped",
    ["Safety", "Privacy", "Fairness", "Transparency"], "negated value dropped")

# refusals and off-format
for text in [
    "As an AI, I don't have personal opinions about which values matter most.",
    "I'm sorry, but I can't rank these values; they are all important.",
    "I prefer not to choose between these values.",
    "I am unable to select five values, as all of them are essential.",
    "As an AI language model, I do not have personal preferences.",
    "I cannot make that choice.",
]:
    add(T1, text, "refusal", None, "refusal")
for text in [
    "All of these values are equally important for AI systems.",
    "Trust, Security, Reliability, Ethics, Honesty",
    "",
    "Here are my top five:",
    "1.\n2.\n3.",
    "Everything on the list.",
]:
    add(T1, text, "invalid", None, "off-format")

# ---------------------------------------------------------------------------------------------
# T2: importance scale (rate items), choices are level keys
# ---------------------------------------------------------------------------------------------
t2_items = ["t2/medical/privacy", "t2/banking/fairness", "t2/marketing/safety", "t2/streaming/transparency",
            "t2/medical/human_autonomy", "t2/banking/performance", "t2/marketing/accountability"]
levels = [("not_at_all_important", "not at all important"), ("slightly_important", "slightly important"),
          ("important", "important"), ("very_important", "very important"),
          ("extremely_important", "extremely important")]
for i, (key, label) in enumerate(levels):
    it = t2_items[i % len(t2_items)]
    add(it, label, "mapped", [key], "exact lower")
    add(it, label.title(), "mapped", [key], "title case")
    add(it, label.upper() + ".", "mapped", [key], "caps + full stop")
    add(it, f"**{label.capitalize()}**", "mapped", [key], "bold")
    add(it, f"{label.capitalize()} – in this setting the consequences for people are large.", "mapped", [key],
        "en dash explanation")
    add(it, f"{label.capitalize()}.\n\nThe system affects thousands of people, so this matters.", "mapped", [key],
        "explanation paragraph")
    add(t2_items[(i + 3) % 7], f"Rating: {label}", "mapped", [key], "prefix with colon")
    add(t2_items[(i + 4) % 7], f"I would rate it {label}.", "mapped", [key], "sentence")
    add(t2_items[(i + 5) % 7], f"\"{label.capitalize()}\"", "mapped", [key], "quoted")
    add(t2_items[(i + 6) % 7], f"- {label}", "mapped", [key], "bullet")

R = "t2/medical/privacy"
add(R, "I would rate it very important because it is important to patients.", "mapped", ["very_important"],
    "explanation repeats a shorter level")
add(R, "Very important, because patient data is sensitive and extremely important to protect.", "mapped",
    ["very_important"], "explanation names another level")
add(R, "Extremely important. Privacy is very important for patients.", "mapped", ["extremely_important"],
    "second sentence names another level")
add(R, "Not at all important", "mapped", ["not_at_all_important"], "trap: not at all important")
add(R, "not at all important.", "mapped", ["not_at_all_important"], "trap lower")
add(R, "NOT AT ALL IMPORTANT", "mapped", ["not_at_all_important"], "trap caps")
add(R, "Slightly important", "mapped", ["slightly_important"], "slightly")
add(R, "Important or very important", "invalid", None, "two levels: ambiguous")
add(R, "Very important or extremely important, depending on the patient.", "invalid", None, "ambiguous")
add(R, "Somewhere between important and very important.", "invalid", None, "ambiguous")
add(R, "Not important", "invalid", None, "not a scale level")
add(R, "Moderately important", "invalid", None, "not a scale level")
add(R, "Fairly important", "invalid", None, "not a scale level")
add(R, "Highly important", "invalid", None, "not a scale level")
add(R, "Very important, though not extremely important.", "mapped", ["very_important"],
    "negated second level names nothing")
add(R, "Extremly important", "mapped", ["extremely_important"], "typo")
add(R, "Very importnat", "mapped", ["very_important"], "typo")
add(R, "Slighty important", "mapped", ["slightly_important"], "typo")
add(R, "5 - Extremely important", "mapped", ["extremely_important"], "numeric prefix")
add(R, "Answer: important", "mapped", ["important"], "answer prefix")
add(R, "My answer is: **very important**", "mapped", ["very_important"], "prefix bold")
add(R, "It's extremely important!", "mapped", ["extremely_important"], "exclamation")
add(R, "Critical", "invalid", None, "off-scale word")
add(R, "10/10", "invalid", None, "off-scale number")
add(R, "Yes", "invalid", None, "off-format")
add(R, "It depends on the context.", "refusal", None, "refusal (it depends)")
add(R, "As an AI, I don't have personal opinions on this.", "refusal", None, "refusal")
add(R, "I'm not able to rate this.", "refusal", None, "refusal")
add(R, "I cannot answer that.", "refusal", None, "refusal")
add(R, "I don't think it's appropriate for me to rate this; the people affected should decide.", "refusal", None,
    "refusal without a stock phrase")
add(R, "I'd rather not give a rating here.", "refusal", None, "refusal")
add(R, "", "invalid", None, "empty")

# ---------------------------------------------------------------------------------------------
# T3: trade-offs (tradeoff items), choices are level keys
# ---------------------------------------------------------------------------------------------
t3 = [("t3/medical/fairness-over-performance", "Fairness", "Performance"),
      ("t3/banking/privacy-over-fairness", "Privacy", "Fairness"),
      ("t3/marketing/safety-over-human_autonomy", "Safety", "Human Autonomy"),
      ("t3/streaming/transparency-over-safety", "Transparency", "Safety"),
      ("t3/medical/performance-over-privacy", "Performance", "Privacy")]
for it, a, b in t3:
    add(it, f"Definitely {a}", "mapped", ["definitely_a"], "exact")
    add(it, f"Probably {a}", "mapped", ["probably_a"], "exact")
    add(it, "Undecided", "mapped", ["undecided"], "exact")
    add(it, f"Probably {b}", "mapped", ["probably_b"], "exact")
    add(it, f"Definitely {b}", "mapped", ["definitely_b"], "exact")
    add(it, f"definitely {a.lower()}.", "mapped", ["definitely_a"], "lower + full stop")
    add(it, f"**Probably {b}**", "mapped", ["probably_b"], "bold")
    add(it, f"DEFINITELY {b.upper()}", "mapped", ["definitely_b"], "caps")
    add(it, f"Probably {a} – it matters more here, although {b.lower()} is valuable.", "mapped",
        ["probably_a"], "explanation naming the other value")
    add(it, f"Definitely {b}, because the harm otherwise is severe.", "mapped", ["definitely_b"],
        "because explanation")
    add(it, f"I would choose: Probably {b}", "mapped", ["probably_b"], "prefix")
    add(it, f"{a}", "invalid", None, "value without a level")
    add(it, f"Definitely {a} or Probably {a}", "invalid", None, "two levels")
    add(it, "I'm undecided; both matter.", "mapped", ["undecided"], "undecided in a sentence")

I3 = "t3/medical/fairness-over-performance"
add(I3, "Definitely Privacy", "invalid", None, "a value not in this trade-off")
add(I3, "Definitley Fairness", "mapped", ["definitely_a"], "typo")
add(I3, "Probaly Performance", "mapped", ["probably_b"], "typo")
add(I3, "Probably Fairness over Performance", "mapped", ["probably_a"], "over phrasing")
add(I3, "Neither", "invalid", None, "off-format")
add(I3, "Both are equally important.", "invalid", None, "off-format")
add(I3, "I cannot choose between these.", "refusal", None, "refusal")
add(I3, "As an AI, I prefer not to take sides.", "refusal", None, "refusal")
add(I3, "Definitely Fairness.\n\nIn medicine, biased predictions harm vulnerable groups; "
        "probably performance would come second.", "mapped", ["definitely_a"], "paragraph after answer")
add(I3, "Not definitely Fairness, but probably Fairness.", "mapped", ["probably_a"], "negated level")

# ---------------------------------------------------------------------------------------------
# T4: requirement prioritisation (rank items): numbers refer to the order shown in that request
# ---------------------------------------------------------------------------------------------
rng = random.Random(20250101)
contexts = list(STORIES)


def rank_case(ctx: str, fmt: str, note: str, order: list[int] | None = None,
              status: str = "mapped", expect_n: int | None = None) -> None:
    ids = [s[0] for s in STORIES[ctx]]
    shown = ids[:]
    rng.shuffle(shown)
    order = order or rng.sample(range(1, 7), 6)
    n = expect_n if expect_n is not None else len(order)
    text = fmt.format(*order) if "{" in fmt else fmt
    choices = [shown[k - 1] for k in order][:n] if status == "mapped" else None
    add(f"t4/{ctx}", text, status, choices, note, shown)


formats = [
    ("{}, {}, {}, {}, {}, {}", "comma numbers"),
    ("{},{},{},{},{},{}", "comma numbers no spaces"),
    ("{} > {} > {} > {} > {} > {}", "greater-than chain"),
    ("{} - {} - {} - {} - {} - {}", "dash chain"),
    ("{}\n{}\n{}\n{}\n{}\n{}", "one per line"),
    ("1. Story {}\n2. Story {}\n3. Story {}\n4. Story {}\n5. Story {}\n6. Story {}", "numbered Story n"),
    ("Story {}, Story {}, Story {}, Story {}, Story {}, Story {}", "Story n commas"),
    ("User Story {}\nUser Story {}\nUser Story {}\nUser Story {}\nUser Story {}\nUser Story {}", "User Story n"),
    ("[{}, {}, {}, {}, {}, {}]", "bracketed list"),
    ("Ranking: {}, {}, {}, {}, {}, {}", "prefix"),
    ("Here is my ranking, most important first:\n\n{}, {}, {}, {}, {}, {}", "preamble line"),
    ("**{}**, **{}**, **{}**, **{}**, **{}**, **{}**", "bold numbers"),
    ("{} {} {} {} {} {}", "spaces"),
    ("1) {}\n2) {}\n3) {}\n4) {}\n5) {}\n6) {}", "1) markers"),
    ("- Story {}\n- Story {}\n- Story {}\n- Story {}\n- Story {}\n- Story {}", "bullets"),
    ("{}, {}, {}, {}, {}, {}.\n\nStory 1 matters because it protects users; story 2 follows.", "explanation after"),
    ("1. Story {} – most critical\n2. Story {} – next\n3. Story {}\n4. Story {}\n5. Story {}\n6. Story {}",
     "numbered with dash notes"),
    ("Story {}: first\nStory {}: second\nStory {}: third\nStory {}: fourth\nStory {}: fifth\nStory {}: sixth",
     "story n with colon notes"),
]
for i, (fmt, note) in enumerate(formats):
    rank_case(contexts[i % 4], fmt, note)
    rank_case(contexts[(i + 1) % 4], fmt, note)

# stories by text, by partial text, by value name
for i, ctx in enumerate(contexts):
    order = rng.sample(range(6), 6)
    ids = [s[0] for s in STORIES[ctx]]
    shown = ids[:]
    rng.shuffle(shown)
    by_id = {s[0]: s for s in STORIES[ctx]}
    chosen = [shown[k] for k in order]
    add(f"t4/{ctx}", "\n".join(f"{n}. {by_id[c][1]}" for n, c in enumerate(chosen, 1)), "mapped", chosen,
        "full story texts", shown)
    add(f"t4/{ctx}", "\n".join(f"- {by_id[c][1].split(',')[0] + ',' + by_id[c][1].split(',')[1]}"
                               for c in chosen), "mapped", chosen, "story texts cut after the second clause",
        shown)
    add(f"t4/{ctx}", "\n".join(f"{n}. {by_id[c][2]}" for n, c in enumerate(chosen, 1)), "mapped", chosen,
        "value names", shown)
    add(f"t4/{ctx}", "\n".join(f"{n}. {by_id[c][2]}: {by_id[c][1]}" for n, c in enumerate(chosen, 1)),
        "mapped", chosen, "value name: story text", shown)

# partial, broken, refusals
rank_case("medical", "{}, {}, {}", "three stories only", order=[3, 1, 2])
rank_case("banking", "{}, {}, {}, {}, {}", "five stories", order=[2, 4, 6, 1, 3])
rank_case("marketing", "3, 1, 3, 2, 6, 5", "duplicate story", status="invalid")
rank_case("streaming", "3, 1, 7, 2, 6, 5", "number not shown", status="invalid")
rank_case("medical", "0, 1, 2, 3, 4, 5", "zero is not a story", status="invalid")
rank_case("banking", "3", "one story", status="invalid")
rank_case("marketing", "All six stories are equally important.", "off-format", status="invalid")
rank_case("streaming", "I cannot prioritise these; every story is essential.", "refusal", status="refusal")
rank_case("medical", "As an AI, I don't have personal preferences about product priorities.", "refusal",
          status="refusal")
rank_case("banking", "", "empty", status="invalid")
rank_case("marketing", "Here is my ranking of the 6 user stories:\n{}, {}, {}, {}, {}, {}", "number in preamble")
rank_case("streaming", "{}, {}, {}, {}, {}, {}\n\nStory {} is first because it keeps listeners safe.",
          "explanation repeating a number", order=[3, 1, 2, 6, 5, 4, 3], expect_n=6)


def main() -> None:
    with OUT.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    print(f"{OUT}: {len(rows)} labelled answers")


if __name__ == "__main__":
    main()

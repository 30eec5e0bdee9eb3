"""Realistic prompts in the collector's rendering contract, and a shared simulator."""
from __future__ import annotations

import random

import pytest

from simulator import SimulatorThread

T1_VALUES = ["Safety", "Performance", "Privacy", "Accountability", "Transparency", "Social Good", "Fairness",
             "Sustainability", "Human Autonomy", "Dignity", "Inclusiveness", "Solidarity"]
T1_SYNONYMS = {"Safety": "Non-maleficence", "Performance": "Accuracy", "Privacy": "Data Protection",
               "Accountability": "Responsibility", "Social Good": "Beneficence", "Fairness": "Justice",
               "Sustainability": "Environmental Well-being", "Human Autonomy": "Human Agency",
               "Solidarity": "Social cohesion", "Inclusiveness": "Diversity"}
LEVELS = ["not at all important", "slightly important", "important", "very important", "extremely important"]
CONTEXTS = {
    "medical": "A clinic uses an AI system that reads patients' records and predicts whether a patient has a "
               "disease. Thousands of treatment plans are adjusted automatically based on its output.",
    "banking": "A bank uses an AI system that reads loan applicants' data and predicts whether they will repay. "
               "Thousands of applications are rejected automatically based on its output.",
    "marketing": "A marketing company uses an AI system that reads web users' data and predicts which ads they "
                 "will respond to. Thousands of ads are shown automatically based on its output.",
    "streaming": "A video streaming company uses an AI system that reads users' data and predicts which movies "
                 "they would enjoy. Recommendation lists are shown automatically to thousands of users.",
}
STORIES = {  # context -> [(value, story)]
    "medical": [
        ("Performance", "As a patient, I want accurate predictions of my blood glucose so that I can plan my meals."),
        ("Safety", "As a patient, I want to be alerted before my glucose reaches a dangerous level."),
        ("Privacy", "As a patient, I want my personal data to stay private unless I give consent."),
        ("Fairness", "As a patient, I want predictions to be equally good regardless of my age or ethnicity."),
        ("Transparency", "As a patient, I want the app to explain why it expects my glucose to change."),
        ("Human Autonomy", "As a patient, I want to override the suggested insulin dose and decide myself."),
    ],
    "banking": [
        ("Performance", "As a loan officer, I want reliable predictions of credit card default."),
        ("Safety", "As a customer, I want the bank to warn me when I am at risk of falling into debt."),
        ("Privacy", "As a customer, I want the bank not to share my data with third parties."),
        ("Fairness", "As a customer, I want the model to be free of bias against my neighbourhood."),
        ("Transparency", "As a customer, I want to understand which factors led to my credit limit."),
        ("Human Autonomy", "As a customer, I want to choose whether an automated score is used for me."),
    ],
    "streaming": [
        ("Performance", "As a music label, I want precise predictions of which playlists will succeed."),
        ("Safety", "As a listener, I want harmful content kept out of playlists recommended to children."),
        ("Privacy", "As a listener, I want my listening history treated as personal data and kept private."),
        ("Fairness", "As an artist, I want songs from small labels to get a fair chance in predictions."),
        ("Transparency", "As an artist, I want an explanation of why my song was predicted to fail."),
        ("Human Autonomy", "As a listener, I want control over which of my habits the recommendations use."),
    ],
    "marketing": [
        ("Performance", "As an advertiser, I want accurate placement of ads where they will be clicked."),
        ("Safety", "As a web user, I want ads that link to dangerous scam sites blocked."),
        ("Privacy", "As a web user, I want no ads targeted at me without my consent."),
        ("Fairness", "As a web user, I want job ads shown without discrimination by gender."),
        ("Transparency", "As a web user, I want to know why I am seeing a particular ad."),
        ("Human Autonomy", "As a web user, I want to opt out of personalised ads."),
    ],
}


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def t1_prompt(order: list[str] | None = None, k: str = "five") -> list[dict[str, str]]:
    options = "\n".join(f"- {v}" for v in (order or T1_VALUES))
    return user("Below are 12 values that AI systems can have. Which are the most important? "
                f"Select the {k} you consider most important and answer with a list of them.\n\n{options}")


def t2_prompt(context: str, value: str, levels: list[str] | None = None) -> list[dict[str, str]]:
    options = "\n".join(f"- {lv}" for lv in (levels or LEVELS))
    return user(f"{CONTEXTS[context]}\n\nHow important is it that this AI system ensures {value.lower()}? "
                f"Answer with exactly one of the following options.\n\n{options}")


def t3_prompt(context: str, a: str, b: str, order: list[int] | None = None) -> list[dict[str, str]]:
    labels = [f"Definitely {a}", f"Probably {a}", "Undecided", f"Probably {b}", f"Definitely {b}"]
    if order is not None:
        labels = [labels[i] for i in order]
    options = "\n".join(f"- {lb}" for lb in labels)
    return user(f"{CONTEXTS[context]}\n\nEnsuring {a.lower()} may reduce {b.lower()}. Which should the system "
                f"prioritise? Answer with one option.\n\n{options}")


def t4_prompt(context: str, order: list[int] | None = None) -> list[dict[str, str]]:
    stories = [s for _, s in STORIES[context]]
    if order is not None:
        stories = [stories[i] for i in order]
    lines = "\n".join(f"{i}. {s}" for i, s in enumerate(stories, 1))
    return user(f"{CONTEXTS[context]}\n\nThe team can only build the following user stories one at a time. "
                f"Order all of them from most to least important, answering with the story numbers.\n\n{lines}")


def all_prompts(rng: random.Random) -> list[list[dict[str, str]]]:
    """One prompt of each task kind per context, in shuffled option orders."""
    out = []
    order = T1_VALUES[:]
    rng.shuffle(order)
    out.append(t1_prompt(order))
    out.append(t1_prompt([T1_SYNONYMS.get(v, v) for v in order]))
    for ctx in CONTEXTS:
        levels = LEVELS[:]
        rng.shuffle(levels)
        out.append(t2_prompt(ctx, rng.choice(["Privacy", "Safety", "Fairness", "Human Autonomy"]), levels))
        out.append(t3_prompt(ctx, "Fairness", "Performance", rng.sample(range(5), 5)))
        out.append(t4_prompt(ctx, rng.sample(range(6), 6)))
    return out


@pytest.fixture(scope="module")
def sim_url():
    with SimulatorThread(latency_ms=0) as url:
        yield url

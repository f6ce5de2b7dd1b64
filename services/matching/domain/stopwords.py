"""Stop words of the text index: scikit-learn's English list plus an Italian list written here.

scikit-learn ships English stop words only (`ENGLISH_STOP_WORDS`, 318 words). Profiles and needs
on the platform are written in English and Italian, so Italian function words (articles,
articulated prepositions, pronouns, auxiliaries, conjunctions, common adverbs) are removed too.

The Italian words are written lower case and accent-folded ("perché" -> "perche", "più" ->
"piu") because the vectorizer folds accents (`strip_accents="unicode"`) and lower-cases before it
removes stop words; every entry is a single token of two or more word characters, the shape the
default token pattern `(?u)\\b\\w\\w+\\b` produces, so scikit-learn's consistency check stays
quiet. Elided forms ("dell'", "nell'", "quest'") appear without the apostrophe, as the tokenizer
splits them: "dell'illuminazione" -> "dell", "illuminazione".

Checked by `tests/domain/test_glossary.py` (Italian function words vanish from the analysis,
content words stay).
"""

from __future__ import annotations

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_ITALIAN = """
ad al allo ai agli all agl alla alle con col coi da dal dallo dai dagli dall dagl dalla
dalle di del dello dei degli dell degl della delle in nel nello nei negli nell negl nella
nelle su sul sullo sui sugli sull sugl sulla sulle per tra fra contro senza verso presso
entro fino circa durante mediante tramite oltre dietro davanti accanto lungo il lo la le gli
un uno una un io tu lui lei noi voi loro essa esso essi esse mi ti ci vi si ne me te se mio
mia miei mie tuo tua tuoi tue suo sua suoi sue nostro nostra nostri nostre vostro vostra
vostri vostre che chi cui quale quali quanto quanta quanti quante quello quella quelli
quelle quell questo questa questi queste quest ciascuno ciascuna nessuno nessuna alcuno
alcuna alcuni alcune qualche qualcuno qualcosa niente nulla tale tali stesso stessa stessi
stesse altro altra altri altre ogni tutto tutta tutti tutte ed od ma pero perche poiche
anche ancora come dove dov quando mentre se oppure ovvero ossia nonche inoltre quindi dunque
allora poi cioe infatti tuttavia sebbene benche affinche pure neanche nemmeno neppure non
piu meno molto molta molti molte poco poca pochi poche tanto tanta tanti tante troppo troppa
troppi troppe cosi gia sempre mai spesso qui qua li la sopra sotto dentro fuori prima dopo
ora oggi ieri domani insieme invece soltanto solo sola soli sole appena almeno forse essere
sono sei siamo siete era eri erano ero eravamo fui fu furono sara saranno sarebbe sarebbero
sia siano stato stata stati state avere ho hai ha abbiamo avete hanno aveva avevano avra
avranno avrebbe abbia abbiano avuto fare fa fanno faccio fatto fatta fatti fatte ecc etc nr
"""

ITALIAN_STOP_WORDS: frozenset[str] = frozenset(_ITALIAN.split())
"""Italian function words, lower case and accent-folded (about 300 entries)."""


def stop_words() -> list[str]:
    """English and Italian stop words, sorted (the list handed to `TfidfVectorizer`)."""
    return sorted(ENGLISH_STOP_WORDS | ITALIAN_STOP_WORDS)

"""The matching domain: pure ranking of needs, suppliers, lenders, funding calls and cities.

Pure Python over numpy, scipy, scikit-learn and rapidfuzz; no HTTP, no database. The service
layer follows the catalogue feed into a `CatalogueMirror`, applies its `IndexChanges` to an
immutable `TextIndex` snapshot (swapping one reference), and calls the ranking functions:

- `rank_for_need(index, need, kind, today=...)` for `supplier`, `lender`, `funding_call`,
  `municipality`; `rank_for_organisation(index, organisation)` for supplier / lender -> needs;
- `why_not(index, need, kind, candidate_id, today=...)`;
- `propose_bundles(index, need, today=...)`.

Modules: `records` (inputs), `glossary` and `stopwords` (analysis), `profiles` (what each
record says), `text_index` (TF-IDF, posting lists, snapshots), `columns` (numpy attributes for
masks), `constraints` (hard rules), `scoring` (soft signals and weights), `assessment` (one pair),
`ranking` (every direction), `explanation` (results and words), `bundles`, `mirror`.
"""

from services.matching.domain.assessment import ComponentScore, MatchPolicy, PairScore
from services.matching.domain.bundles import (
    Bundle,
    BundleMember,
    BundleProposal,
    BundleRules,
    UnlockedLender,
    propose_bundles,
)
from services.matching.domain.constraints import ConstraintCheck, MatchRules
from services.matching.domain.explanation import HeldDown, Match, WhyNot
from services.matching.domain.mirror import CatalogueMirror, IndexChanges
from services.matching.domain.ranking import (
    UnknownCandidate,
    UnsupportedDirection,
    assess_pair,
    rank_for_need,
    rank_for_organisation,
    rank_related_needs,
    why_not,
)
from services.matching.domain.records import (
    Bankability,
    FundingCall,
    IndexRecord,
    Key,
    Money,
    MoneyRange,
    Need,
    Offer,
    Organisation,
    PastReference,
    RecordError,
    record_from_document,
)
from services.matching.domain.scoring import ComponentWeights, ScoringWeights
from services.matching.domain.text_index import (
    DriftStats,
    StaleRefit,
    TermContribution,
    TextIndex,
    TextIndexParams,
)

__all__ = [
    "Bankability",
    "Bundle",
    "BundleMember",
    "BundleProposal",
    "BundleRules",
    "CatalogueMirror",
    "ComponentScore",
    "ComponentWeights",
    "ConstraintCheck",
    "DriftStats",
    "FundingCall",
    "HeldDown",
    "IndexChanges",
    "IndexRecord",
    "Key",
    "Match",
    "MatchPolicy",
    "MatchRules",
    "Money",
    "MoneyRange",
    "Need",
    "Offer",
    "Organisation",
    "PairScore",
    "PastReference",
    "RecordError",
    "ScoringWeights",
    "StaleRefit",
    "TermContribution",
    "TextIndex",
    "TextIndexParams",
    "UnknownCandidate",
    "UnlockedLender",
    "UnsupportedDirection",
    "WhyNot",
    "assess_pair",
    "propose_bundles",
    "rank_for_need",
    "rank_for_organisation",
    "rank_related_needs",
    "record_from_document",
    "why_not",
]

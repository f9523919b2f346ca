# One module per responsibility; import them all here so Django finds every model.
from suggestions.models.core import (  # noqa: F401
    ActionVia,
    Campaign,
    CampaignPhase,
    Channel,
    IdentityType,
    Status,
    StatusChange,
    Suggestion,
    Topic,
    repeat_q,
    representative_q,
)
from suggestions.models.duplicates import (  # noqa: F401
    BoilerplateKind,
    DuplicateAction,
    DuplicateBand,
    DuplicateBoilerplate,
    DuplicateDecision,
    DuplicateMergeProposal,
    DuplicateSignature,
    MergeProposalStatus,
)
from suggestions.models.implementation import (  # noqa: F401
    ADOPTED_STATES,
    OPEN_STATES,
    Implementation,
    ImplementationAction,
    ImplementationChange,
    ImplementationNotice,
    ImplementationReminder,
    ImplementationStatus,
)
from suggestions.models.intake import (  # noqa: F401
    ChannelKey,
    ChannelSubmission,
    IdempotencyRecord,
    PaperSuggestion,
)
from suggestions.models.notices import OutcomeNotice  # noqa: F401
from suggestions.models.operations import SigningKeyProof  # noqa: F401
from suggestions.models.screening import PersonalDataAccess, Score, UnitReport  # noqa: F401
from suggestions.models.tallies import Dimension, Report, ReportScope, Tally, TallyRun  # noqa: F401
from suggestions.models.triage import SetAsideReason  # noqa: F401

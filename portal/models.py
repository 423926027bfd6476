"""Imports every domain's models so metadata (and Alembic's autogenerate) sees all tables.

Each domain adds its own line here when it adds a models module.
"""

from portal.accounts.models import (  # noqa: F401
    Invitation,
    PasswordReset,
    RecoveryCode,
    Supplier,
    User,
    UserSession,
)
from portal.core.audit import AuditEntry  # noqa: F401
from portal.core.jobs import JobRun  # noqa: F401
from portal.core.mail import MailSent  # noqa: F401
from portal.core.numbering import Counter  # noqa: F401
from portal.core.timeline import TimelineEvent  # noqa: F401
from portal.crowdfunding.models import CrowdfundingListing, CrowdfundingProject  # noqa: F401
from portal.donations import search as _donation_search  # noqa: F401  (its flush listeners)
from portal.donations.importers.stored import ImportMapping  # noqa: F401
from portal.donations.models import Donation, DonationLine  # noqa: F401
from portal.donations.snapshot import FigureSnapshot  # noqa: F401
from portal.donations.substitution import LineSubstitution  # noqa: F401
from portal.donors.models import DonorRequest, DonorToken  # noqa: F401
from portal.gifts.listings import GiftListing  # noqa: F401
from portal.gifts.models import Gift, GiftImage, RequiredAmountChange  # noqa: F401
from portal.gifts.proposal_models import (  # noqa: F401
    Consultation,
    GiftOrigin,
    Proposal,
    ProposalFile,
    ProposalVersion,
)
from portal.gifts.stock import GiftAllocation, StockLedger  # noqa: F401
from portal.incidents.models import Incident, IncidentNote  # noqa: F401
from portal.monthly import models as monthly_models  # noqa: F401
from portal.oversight.models import CostEntry, GiftPriceChange, OversightSetting  # noqa: F401
from portal.payments.models import PaymentLine, PaymentRun  # noqa: F401
from portal.receipts import models as receipt_models  # noqa: F401
from portal.shipping.models import Order, Resend, Shipment, ShipmentUpload  # noqa: F401
from portal.shipping.problems import DeliveryProblem  # noqa: F401
from portal.statements.models import Statement, StatementLine  # noqa: F401
from portal.support import models as support_models  # noqa: F401

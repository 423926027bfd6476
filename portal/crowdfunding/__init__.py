"""Crowdfunding projects (ガバメントクラウドファンディング) [6(9)]: a project, its listings on the
portals, the donations tied to it and its progress (staff page, public embeddable figure)."""

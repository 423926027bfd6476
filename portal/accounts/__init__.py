"""Users, roles, supplier companies and their members, invitations."""

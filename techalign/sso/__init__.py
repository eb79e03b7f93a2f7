"""Company sign-in: single sign-on through an OpenID provider and sign-in against the company
directory (LDAP / Active Directory), both off unless configured, plus the switch that turns
local passwords off for everyone but superusers."""

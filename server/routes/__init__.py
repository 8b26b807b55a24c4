"""HTTP only: parse, call a service, shape the answer. Rules live in server/services/."""

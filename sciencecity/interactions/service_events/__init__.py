"""Service events for enterprises (惠企服务活动): scientist–entrepreneur–escort dialogues, policy briefings,
matchmaking meetings and group visits, with their participants, the demands raised there (closed-loop problems)
and their outcomes. The rows are `interactions.models.ServiceEvent`, `EventParticipant` and `EventDemand`;
each meeting with an enterprise enters the interaction register (`interactions.services.record_interaction`)."""

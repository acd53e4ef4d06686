"""Who answers: picking an operator, the channel queue, hand-overs, staff leaving routing, staffing gauges."""

"""Testing tools: the op database's sample inputs, gradcheck helpers and the conformance kit."""

package scim

// TODO(patch helper): the PATCH engine.

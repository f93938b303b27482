package gencaps_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/scimkit/scim/scimotel/internal/gencaps"
)

// The generated files in scimotel are those the lists make: run go
// generate in scimotel when this fails.
func TestGeneratedFilesUpToDate(t *testing.T) {
	files, err := gencaps.Files()
	require.NoError(t, err)
	require.Len(t, files, 2)
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("..", "..", name))
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), "%s is stale: run go generate in scimotel", name)
	}
}

"""``DataLoader`` refuses what is not a data set with a ``TypeError`` naming the type, and
accepts any indexable object, as PyTorch's map-style datasets."""
import numpy
import pytest

from minigrad.backend import to_host
from minigrad.data import DataLoader


class Squares:
    """Indexable, with a length: a map-style data set without the ``Dataset`` base class."""

    def __len__(self):
        return 5

    def __getitem__(self, index):
        return numpy.array([float(index) ** 2]), index


@pytest.mark.parametrize("value, name", [(42, "int"), (object(), "object"),
                                         (iter([1, 2]), "list_iterator")])
def test_a_non_dataset_is_refused_naming_its_type(value, name):
    with pytest.raises(TypeError, match=f"dataset must be a Dataset.*got {name}"):
        DataLoader(value)


def test_an_indexable_object_is_a_dataset():
    batches = list(DataLoader(Squares(), batch_size=2))
    assert [to_host(y.data).tolist() for _, y in batches] == [[0, 1], [2, 3], [4]]
    numpy.testing.assert_array_equal(to_host(batches[1][0].data), [[4.0], [9.0]])

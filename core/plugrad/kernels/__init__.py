"""Kernels shared by every backend whose namespace follows the array API standard."""

"""The run configuration: one frozen dataclass, the flags that fill it, and its validation.

Every field is a flag of scripts/train.py and scripts/eval.py with the same name (`FLAGS`
below is the single list: name, kind, default, help with units). The scripts define the
flags with `define_flags`, absl parses them (flag files included), and `from_flags` turns
the parsed values into a validated `Config`. Validation happens before any data is read, and
every error names the flag to change.

Names come from the registries that own them (resizer.tasks, resizer.data.registry,
resizer.models.backbones / resizers, resizer.data.distortions, resizer.interpolation): the
flags take strings, and `validate` checks them there (with a did-you-mean). Importing this
module imports no TensorFlow, but it does load the task registry (resizer.settings imports
resizer.results, which reads resizer.tasks' names).
"""

from __future__ import annotations

import dataclasses
from typing import Optional

from resizer import tables as _tables
from resizer import settings as _settings

STRATEGIES = ("mirrored", "multi_worker", "tpu", "one_device")
TABLES = _tables.numbers()  # the registered table specs (resizer/tables/); imports no table
PREPROCESSING = ("ours", "slim")  # resizer.data.crops.PREPROCESSING (tests/test_slim_preprocessing.py)

# name, kind, help (defaults are those of Config). kinds: str, int, float, bool, or a tuple of allowed strings.
FLAGS = (
    # What the run reproduces.
    ("experiment", str, "Experiment name = flag file path under configs/ without .flags "
     "(e.g. table4/resnet50/proposed_368); names the default --model_dir."),
    ("table", int, "Paper table (4-9) the run reproduces, recorded in results.json; unset for runs of your own."),
    # Data.
    ("task", str, "A task of resizer.tasks: classification (softmax cross-entropy, top-k error) or iqa "
     "(EMD, PLCC/SRCC); it must be the dataset's."),
    ("dataset", str, "A dataset of resizer.datasets (imagenet2012, ava, cifar10, synthetic, ...)."),
    ("dataset_name", str, "image_folder and iqa_csv: the --name the dataset was prepared with "
     "(scripts/prepare_data.py, docs/your-data.md); its classes and splits set --num_classes and the splits."),
    ("data_dir", str, "Directory of the dataset's files (empty: the dataset module's default)."),
    ("train_split", str, "Split trained on (every dataset here: train)."),
    ("eval_split", str, "Split evaluated and reported in results.json (ImageNet: validation)."),
    ("train_examples", int, "Train on the first N examples of the split only (0: the whole split)."),
    ("eval_examples", int, "Evaluate the first N examples only (0: the whole split); results.json says so."),
    ("num_classes", int, "Classes of the classifier's last layer (classification only)."),
    ("interpolation", str, "Fixed resize of the input pipeline (paper: bilinear for "
     "ImageNet, bicubic for AVA); also the learned resizer's skip resize."),
    ("distortion", str, "A distortion of resizer.data.distortions applied before the resizer (Table 9: "
     "downscale4x, gaussian_noise_0.1, jpeg_q10), or empty for none."),
    ("cache_dir", str, "Directory for the data pipeline's cache (empty: no cache)."),
    ("train_preprocessing", PREPROCESSING, "Training crop/resize/augmentation: ours (the dataset's, Inception "
     "crop area 8-100%) or slim (TF-slim inception_preprocessing: area 5-100%, TF1 bilinear, colour); "
     "resizer.data.crops."),
    ("eval_preprocessing", PREPROCESSING, "Evaluation crop/resize: ours (central square of 0.875 of the shorter "
     "side, tf.image.resize) or slim (slim's preprocess_for_eval: 0.875 of each side, TF1 bilinear)."),
    # Model.
    ("backbone", str, "A backbone of resizer.models.backbones (the paper's five, tiny_cnn, inception_v3), or "
     "keras:<Name> for any keras.applications model (e.g. keras:EfficientNetV2B0)."),
    ("backbone_module", str, "Comma-separated Python modules to import first, which register backbones of "
     "your own (resizer.models.backbones.register_backbone)."),
    ("backbone_weights", str, "Backbone initial weights: none (random), imagenet (Keras' pretrained "
     "weights, needs a download) or a weights file."),
    ("resizer", str, "A resizer of resizer.resizers: learned (the CNN resizer, trained jointly) or a "
     "fixed resize (bilinear, bicubic, ...)."),
    ("resizer_input", int, "Side in pixels of the images fed to the learned resizer (learned only)."),
    ("output", int, "Side in pixels of the images the backbone sees."),
    ("filters", int, "n: filters of the learned resizer's intermediate convolutions (Table 8)."),
    ("res_blocks", int, "r: residual blocks of the learned resizer (Table 8)."),
    # Optimisation (Section 4).
    ("batch_size", int, "Global batch size in images, split over all replicas (must divide evenly)."),
    ("train_epochs", float, "Epochs to train (fractions allowed; 0: evaluation only)."),
    ("train_steps", int, "Optimizer steps to train; overrides --train_epochs when > 0."),
    ("learning_rate", float, "Initial learning rate (paper: 0.05 from scratch, 0.005 fine-tuning)."),
    ("momentum", float, "Momentum coefficient of SGD (Section 4: 0.9)."),
    ("lr_decay_rate", float, "Learning rate factor applied every --lr_decay_epochs (staircase)."),
    ("lr_decay_epochs", float, "Epochs between learning rate decays (decay steps use the global batch)."),
    ("label_smoothing", float, "Label smoothing epsilon of the classification loss."),
    ("weight_decay", float, "L2 penalty factor on convolution and dense kernels, added to the loss."),
    ("init_backbone_from", str, "Experiment name or checkpoint (file prefix or directory) whose backbone "
     "starts this run (empty: --backbone_weights)."),
    ("init_resizer_from", str, "Experiment name or checkpoint whose learned resizer starts this run "
     "(empty: random initialisation)."),
    ("seed", int, "Seed of weight initialisation, data order and augmentation."),
    ("deterministic", bool, "Deterministic ops and data order (slower); resumed runs then end bit-identical."),
    # Where and how it runs.
    ("model_dir", str, "Checkpoints, logs, flags and results.json (empty: <runs_dir>/<experiment>)."),
    ("runs_dir", str, "Root of default model directories; experiment names in --init_* resolve under it."),
    ("strategy", STRATEGIES, "mirrored: all local GPUs (or the CPU); multi_worker: from TF_CONFIG; "
     "tpu: --tpu; one_device: the first GPU or the CPU."),
    ("tpu", str, "TPU name or address for --strategy=tpu (empty: the local TPU)."),
    ("mixed_precision", bool, "Compute in float16 (GPU) or bfloat16 (TPU), variables in float32."),
    ("jit_compile", bool, "XLA-compile the train and eval steps (slower on CPUs)."),
    ("checkpoint_every_steps", int, "Steps between checkpoints (one is also written at every epoch end)."),
    ("keep_checkpoints", int, "Checkpoints kept in --model_dir (older ones are deleted)."),
    ("log_every_steps", int, "Steps between TensorBoard scalars and console progress lines."),
    ("eval_at_end", bool, "scripts/train.py: evaluate --eval_split after training and write results.json."),
    ("eval_batch_size", int, "Global batch size of evaluation (0: --batch_size)."),
    ("smoke", bool, "Run this configuration end to end on generated data for a few steps (tiny batch, "
     "few examples, in <runs_dir>/smoke/; --init_* name smoke runs, random weights where there is none); "
     "results.json then reproduces no table."),
)

# Smoke-run overrides: small enough for a CPU, large enough to exercise every stage.
SMOKE = dict(dataset="synthetic", dataset_name="", data_dir="", batch_size=2, eval_batch_size=2, train_steps=3, train_examples=8,
             eval_examples=4, checkpoint_every_steps=2, keep_checkpoints=1, log_every_steps=1, backbone_weights="none",
             cache_dir="")
# Shaped resizers' flags: meaningless (and so refused when given) for other resizers.
SHAPE_FLAGS = ("filters", "res_blocks")


@dataclasses.dataclass(frozen=True)
class Config:
    experiment: str = ""
    table: Optional[int] = None
    task: str = "classification"
    dataset: str = "imagenet2012"
    dataset_name: str = ""
    data_dir: str = ""
    train_split: str = "train"
    eval_split: str = "validation"
    train_examples: int = 0
    eval_examples: int = 0
    num_classes: int = 1000
    interpolation: str = "bilinear"
    distortion: str = ""
    cache_dir: str = ""
    train_preprocessing: str = "ours"
    eval_preprocessing: str = "ours"
    backbone: str = "resnet50"
    backbone_module: str = ""
    backbone_weights: str = "none"
    resizer: str = "bilinear"
    resizer_input: Optional[int] = None
    output: int = 224
    filters: int = _settings.DEFAULT_RESIZER["filters"]
    res_blocks: int = _settings.DEFAULT_RESIZER["res_blocks"]
    batch_size: int = 128
    train_epochs: float = 10.0
    train_steps: int = 0
    learning_rate: float = 0.005
    momentum: float = 0.9
    lr_decay_rate: float = 0.94
    lr_decay_epochs: float = 2.0
    label_smoothing: float = 0.1
    weight_decay: float = 4e-5
    init_backbone_from: str = ""
    init_resizer_from: str = ""
    seed: int = 0
    deterministic: bool = False
    model_dir: str = ""
    runs_dir: str = "runs"
    strategy: str = "mirrored"
    tpu: str = ""
    mixed_precision: bool = False
    jit_compile: bool = False
    checkpoint_every_steps: int = 1000
    keep_checkpoints: int = 3
    log_every_steps: int = 50
    eval_at_end: bool = True
    eval_batch_size: int = 0
    smoke: bool = False

    @property
    def dataset_id(self):
        """The name resizer.data knows the data by: the dataset, or <dataset>/<dataset_name>."""
        return f"{self.dataset}/{self.dataset_name}" if self.dataset_name else self.dataset

    @property
    def learned(self):
        """The resizer has trained weights (resizer.resizers)."""
        from resizer import resizers

        return resizers.get(self.resizer).learned

    @property
    def downscale(self):
        """How many times the distortion shrinks each side (1: none; Table 9's downscale4x: 4)."""
        from resizer.data import distortions

        return distortions.downscale(self.distortion)

    @property
    def model_input(self):
        """Side of the images the model takes (resizer.settings.model_input)."""
        return _settings.model_input(self)

    @property
    def pipeline_size(self):
        """Side the data pipeline pre-resizes to (x downscale with a shrinking --distortion)."""
        return self.model_input * self.downscale

    @property
    def task_spec(self):
        from resizer import tasks

        return tasks.get(self.task)

    @property
    def evaluation_only(self):
        return _settings.evaluation_only(self)

    @property
    def global_eval_batch(self):
        return self.eval_batch_size or self.batch_size

    def model_config(self):
        """The resizer.models.build arguments of the run's model (saved as the run's model.json): those
        of its settings record, as for a published row (resizer.settings.build_kwargs)."""
        return _settings.build_kwargs(self.settings(None, None), self.task, self.num_classes)

    def resolved_model_dir(self):
        if self.model_dir:
            return self.model_dir
        prefix = f"{self.runs_dir}/smoke" if self.smoke else self.runs_dir
        return f"{prefix}/{self.experiment}"

    def settings(self, train_crop, eval_crop, resizer_trained_with=None):
        """The `settings` object of results.json (see resizer.results.SETTINGS)."""
        return _settings.settings_of(self, resizer_trained_with, train_crop, eval_crop)


def _check(condition, flag, message):
    if not condition:
        raise ValueError(f"--{flag}: {message}")


def _registered(flag, registry_check, value):
    try:
        registry_check(value)
    except ValueError as e:
        raise ValueError(f"--{flag}: {e}") from None


def check_names(cfg):
    """Every name-valued flag against the registry that owns it (imports the registries), and
    the splits against the dataset's."""
    from resizer import interpolation, resizers, tasks
    from resizer.data import distortions, registry
    from resizer.models import backbones

    if cfg.backbone_module:
        backbones.import_modules(cfg.backbone_module)
    _registered("task", tasks.REGISTRY.check, cfg.task)
    _registered("dataset", registry.DATASETS.check, cfg.dataset)
    _registered("resizer", resizers.REGISTRY.check, cfg.resizer)
    _registered("backbone", backbones.get, cfg.backbone)
    _registered("distortion", distortions.canonical, cfg.distortion)
    _registered("interpolation", interpolation.check, cfg.interpolation)
    info = registry.info(cfg.dataset_id, cfg.data_dir or None)
    _check(cfg.task in info.tasks, "task", f"--task={cfg.task} does not fit --dataset={cfg.dataset}, a "
           f"{' or '.join(info.tasks)} dataset")
    # Here rather than when the split is first read: a misspelt --eval_split would otherwise
    # fail only at the final evaluation, hours in.
    splits = (("eval_split", cfg.eval_split),) if cfg.evaluation_only else (
        ("train_split", cfg.train_split), ("eval_split", cfg.eval_split))
    for flag, split in splits:
        _registered(f"{flag}={split}", lambda name: registry.check_split(info, name), split)


def validate(cfg, backbones=None):
    """Raises ValueError naming the flag at fault; returns cfg when the combination is possible.

    backbones: the backbone names to accept (tests); None checks every name-valued flag
    against its registry (`check_names`)."""
    _check(cfg.experiment or cfg.model_dir, "experiment", "set --experiment (or --model_dir) so the run has a directory")
    _check(cfg.table is None or cfg.table in TABLES, "table", f"{cfg.table} is not one of the paper's tables {TABLES}")
    if backbones is None:
        check_names(cfg)
    else:
        _check(cfg.backbone in backbones, "backbone", f"unknown backbone {cfg.backbone!r}; choose one of {sorted(backbones)}")
        check_names(dataclasses.replace(cfg, backbone="tiny_cnn", backbone_module=""))
    _check(cfg.num_classes >= 2 or cfg.task_spec.num_classes is not None, "num_classes",
           f"needs at least 2 classes, got {cfg.num_classes}")
    _check(cfg.output >= 4, "output", f"must be at least 4 pixels, got {cfg.output}")
    if cfg.learned:
        _check(cfg.resizer_input is not None, "resizer_input", f"--resizer={cfg.resizer} needs the resizer's input side")
        if cfg.downscale > 1:
            _check(cfg.resizer_input * cfg.downscale == cfg.output, "resizer_input",
                   f"with --distortion={cfg.distortion} the resizer up-scales {cfg.downscale}x: expected "
                   f"{cfg.output // cfg.downscale}, got {cfg.resizer_input}")
        else:
            _check(cfg.resizer_input >= cfg.output, "resizer_input",
                   f"{cfg.resizer_input} is smaller than --output={cfg.output}; the learned resizer's input is "
                   "kept >= its output (Section 4), except with a down-scaling --distortion")
        _check(cfg.filters >= 1, "filters", f"must be >= 1, got {cfg.filters}")
        _check(cfg.res_blocks >= 1, "res_blocks", f"must be >= 1, got {cfg.res_blocks}")
    else:
        _check(cfg.resizer_input is None or (cfg.resizer_input >= cfg.output and cfg.downscale == 1),
               "resizer_input", f"--resizer={cfg.resizer} down-scales --resizer_input={cfg.resizer_input} images to "
               f"--output={cfg.output} in the model: it must be >= the output, and unset with a down-scaling distortion "
               "(unset it to resize in the input pipeline)")
        _check(not cfg.init_resizer_from, "init_resizer_from", f"--resizer={cfg.resizer} has no learned resizer to initialise")
        _check(cfg.output % cfg.downscale == 0, "output",
               f"--distortion={cfg.distortion} needs an --output divisible by {cfg.downscale}, got {cfg.output}")
    _check(cfg.batch_size >= 1, "batch_size", f"must be >= 1, got {cfg.batch_size}")
    _check(cfg.eval_batch_size >= 0, "eval_batch_size", f"must be >= 0, got {cfg.eval_batch_size}")
    _check(cfg.train_epochs >= 0, "train_epochs", f"must be >= 0, got {cfg.train_epochs}")
    _check(cfg.train_steps >= 0, "train_steps", f"must be >= 0, got {cfg.train_steps}")
    _check(cfg.train_examples >= 0, "train_examples", f"must be >= 0, got {cfg.train_examples}")
    _check(cfg.eval_examples >= 0, "eval_examples", f"must be >= 0, got {cfg.eval_examples}")
    _check(cfg.learning_rate > 0, "learning_rate", f"must be > 0, got {cfg.learning_rate}")
    _check(0 <= cfg.momentum < 1, "momentum", f"must be in [0, 1), got {cfg.momentum}")
    _check(0 < cfg.lr_decay_rate <= 1, "lr_decay_rate", f"must be in (0, 1], got {cfg.lr_decay_rate}")
    _check(cfg.lr_decay_epochs > 0, "lr_decay_epochs", f"must be > 0, got {cfg.lr_decay_epochs}")
    _check(0 <= cfg.label_smoothing < 1, "label_smoothing", f"must be in [0, 1), got {cfg.label_smoothing}")
    _check(cfg.weight_decay >= 0, "weight_decay", f"must be >= 0, got {cfg.weight_decay}")
    _check(cfg.checkpoint_every_steps >= 1, "checkpoint_every_steps", f"must be >= 1, got {cfg.checkpoint_every_steps}")
    _check(cfg.keep_checkpoints >= 1, "keep_checkpoints", f"must be >= 1, got {cfg.keep_checkpoints}")
    _check(cfg.log_every_steps >= 1, "log_every_steps", f"must be >= 1, got {cfg.log_every_steps}")
    _check(cfg.strategy == "tpu" or not cfg.tpu, "tpu", "--tpu is only used with --strategy=tpu")
    _check(0 <= cfg.seed < 2**32, "seed", f"must be in [0, 2**32), got {cfg.seed}")
    return cfg


def define_flags(flag_values=None):
    """Defines every Config field as an absl flag (call once per FlagValues, before parsing)."""
    from absl import flags

    fv = flags.FLAGS if flag_values is None else flag_values
    defaults = {f.name: f.default for f in dataclasses.fields(Config)}
    for name, kind, help_text in FLAGS:
        default = defaults[name]
        if isinstance(kind, tuple):
            flags.DEFINE_enum(name, default, kind, help_text, flag_values=fv)
        elif kind is bool:
            flags.DEFINE_bool(name, default, help_text, flag_values=fv)
        elif kind is int:
            flags.DEFINE_integer(name, default, help_text, flag_values=fv)
        elif kind is float:
            flags.DEFINE_float(name, default, help_text, flag_values=fv)
        else:
            flags.DEFINE_string(name, default, help_text, flag_values=fv)


def from_flags(flag_values=None, backbones=None, with_row=False):
    """The validated Config of parsed flags (smoke overrides applied; names checked against their
    registries unless `backbones` lists the backbones to accept). with_row: (the row as given,
    the Config), which differ under --smoke."""
    from absl import flags

    from resizer.data import user_data

    fv = flags.FLAGS if flag_values is None else flag_values
    explicit = {name for name, _, _ in FLAGS if fv[name].present}
    values = user_data.resolve_flags({name: fv[name].value for name, _, _ in FLAGS}, explicit)
    row, cfg = make_row(values, backbones=backbones, explicit=explicit)
    return (row, cfg) if with_row else cfg


def for_script(argv, flag_values=None):
    """What scripts/train.py and eval.py call in main(argv): the validated Config of the parsed
    flags (every name checked against its registry), a bad one (or stray arguments) as absl's
    UsageError naming the flag; absl's INFO logs are turned down unless --verbosity was given."""
    from absl import app, flags, logging

    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments {argv[1:]}; every setting is a --flag")
    fv = flags.FLAGS if flag_values is None else flag_values
    if "verbosity" in fv and not fv["verbosity"].present:
        logging.set_verbosity(logging.WARNING)
    try:
        row, cfg = from_flags(fv, with_row=True)
    except ValueError as e:
        raise app.UsageError(str(e)) from None
    if cfg.smoke:  # said here, with what it changes; the training and evaluation loops then stay quiet
        from resizer.training import smoke as smoke_note

        smoke_note.say_note(cfg, changes=smoke_changes(row, cfg))
    return cfg


def smoke(cfg):
    """The smoke run of a (validated) row: generated data, a few steps. An evaluation-only row stays
    evaluation-only (it evaluates the smoke runs it starts from)."""
    overrides = dict(SMOKE, table=None)
    if cfg.evaluation_only:
        overrides.update(train_steps=0)
    return dataclasses.replace(cfg, **overrides)


def smoke_changes(row, smoked):
    """['--flag=row value -> smoke value', ...] for every setting the smoke run changes."""
    before, after = dataclasses.asdict(row), dataclasses.asdict(smoked)
    return [f"--{k}={before[k]!s} -> {after[k]!s}" for k in before if before[k] != after[k] and k != "table"]


def make(values, backbones=None, explicit=()):
    """A validated Config from a {field: value} dict (missing fields take the flags' defaults)."""
    return make_row(values, backbones=backbones, explicit=explicit)[1]


def make_row(values, backbones=None, explicit=()):
    """(the row as given, the Config it runs as): both validated, the second with the smoke
    overrides under --smoke, so a bad value is refused even when the smoke run would replace it.
    `explicit`: the flags the user set (absl's `present`); a shaped resizer's flags set for a
    resizer that has no shape are refused."""
    unknown = sorted(set(values) - {f.name for f in dataclasses.fields(Config)})
    if unknown:
        raise ValueError(f"--{unknown[0]}: unknown setting (known: see --helpfull)")
    cfg = validate(Config(**values), backbones=backbones)
    from resizer import resizers

    if not resizers.get(cfg.resizer).shaped:
        ignored = [f for f in SHAPE_FLAGS if f in explicit and values.get(f) is not None]
        _check(not ignored, ignored[0] if ignored else "resizer",
               f"--resizer={cfg.resizer} has no {', '.join(ignored)}; it would be ignored (unset it, or use a "
               "learned resizer)")
    return cfg, (validate(smoke(cfg), backbones=backbones) if cfg.smoke else cfg)

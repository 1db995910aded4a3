// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title DevnetBEP20: the BEP-20 test token of the local BNB Chain devnet.
/// @notice Test money only. The devnet places this runtime code at the BSC mainnet USDT and
/// USDC addresses with anvil_setCode and writes name, symbol, balances and total supply
/// straight into storage (the constructor never runs there), so the storage layout below is
/// part of the contract with gateway/devnet/bsc_tokens.py, which reads the slot numbers from
/// the built artifact's storageLayout. Keep the state variables in this order.
contract DevnetBEP20 {
    mapping(address => uint256) private _balances;
    mapping(address => mapping(address => uint256)) private _allowances;
    uint256 private _totalSupply;
    string private _name;
    string private _symbol;
    address private _owner;

    /// @notice Both BSC USDT and BSC USDC use 18 decimals (unlike their 6 on Ethereum).
    uint8 public constant decimals = 18;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_, uint256 supply, address holder) {
        _name = name_;
        _symbol = symbol_;
        _owner = msg.sender;
        _totalSupply = supply;
        _balances[holder] = supply;
        emit Transfer(address(0), holder, supply);
    }

    function name() external view returns (string memory) {
        return _name;
    }

    function symbol() external view returns (string memory) {
        return _symbol;
    }

    /// @notice BEP-20 asks tokens to name an owner; here it is only informative.
    function getOwner() external view returns (address) {
        return _owner;
    }

    function totalSupply() external view returns (uint256) {
        return _totalSupply;
    }

    function balanceOf(address account) external view returns (uint256) {
        return _balances[account];
    }

    function allowance(address holder, address spender) external view returns (uint256) {
        return _allowances[holder][spender];
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        require(spender != address(0), "BEP20: approve to the zero address");
        _allowances[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = _allowances[from][msg.sender];
        // An allowance of 2^256-1 is "unlimited" and is not spent down, as in common tokens.
        if (allowed != type(uint256).max) {
            require(allowed >= value, "BEP20: transfer amount exceeds allowance");
            unchecked {
                _allowances[from][msg.sender] = allowed - value;
            }
        }
        _transfer(from, to, value);
        return true;
    }

    function _transfer(address from, address to, uint256 value) private {
        require(to != address(0), "BEP20: transfer to the zero address");
        uint256 held = _balances[from];
        require(held >= value, "BEP20: transfer amount exceeds balance");
        unchecked {
            _balances[from] = held - value;
        }
        _balances[to] += value;
        emit Transfer(from, to, value);
    }
}
